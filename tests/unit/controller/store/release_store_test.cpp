// SqlStore's release and access parts on a real database of each backend: a change and its
// audit entry are one transaction, refused changes leave no trace, old rows survive migrations
// 2 and 3, searches treat LIKE wildcards as text, and roles come from the user and its groups.
#include <gtest/gtest.h>

#include <thread>

#include "controller/store/migrations/0001_initial.hpp"
#include "controller/store/sql/migrate.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;

class ReleaseStoreTest : public StoreBackendTest {
 protected:
  ReleaseRecord registered(const std::string& title, const std::string& group = "ops") {
    ReleaseRecord d;
    d.fields.title = title;
    d.lifecycle.requester = "rita";
    d.lifecycle.executor_group = group;
    d.priority = 2;
    auto r = store->register_release(d, "rita");
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : d;
  }

  std::size_t history_size(std::int64_t id) {
    auto h = store->release_history(id, Page{500, 0});
    EXPECT_TRUE(h);
    return h ? h->size() : 0;
  }
};

TEST_P(ReleaseStoreTest, AChangeAndItsAuditEntryAreWrittenTogether) {
  auto r = registered("Upgrade nginx");
  EXPECT_EQ(r.number, "REL-000001");
  EXPECT_EQ(r.lifecycle.version, 1);
  auto changed = store->change_release(
      r.id, "authorize",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        ReleaseChange c{cur, {{"comment", "go"}}};
        c.next.lifecycle.state = LifecycleState::authorized;
        c.next.lifecycle.version += 1;
        return c;
      },
      "rita");
  ASSERT_TRUE(changed) << changed.error().describe();
  EXPECT_EQ(changed->lifecycle.state, LifecycleState::authorized);
  EXPECT_EQ(changed->lifecycle.version, 2);
  auto h = store->release_history(r.id, Page{500, 0});
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[1].action, "release.authorize");
  EXPECT_EQ((*h)[1].actor, "rita");
  auto detail = nlohmann::json::parse((*h)[1].detail_json);
  EXPECT_EQ(detail["before"]["lifecycle"]["state"], "registered");
  EXPECT_EQ(detail["after"]["lifecycle"]["state"], "authorized");
  EXPECT_EQ(detail["comment"], "go");
}

TEST_P(ReleaseStoreTest, ARefusedChangeWritesNothing) {
  auto r = registered("Upgrade nginx");
  auto refused = store->change_release(
      r.id, "authorize",
      [](const ReleaseRecord&) -> Result<ReleaseChange> {
        return fail("release.illegal_transition", "no");
      },
      "rita");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "release.illegal_transition");
  auto no_bump = store->change_release(
      r.id, "authorize",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        return ReleaseChange{cur, {}};
      },
      "rita");
  ASSERT_FALSE(no_bump);
  EXPECT_EQ(no_bump.error().code, "release.version_conflict");
  auto missing = store->change_release(
      99, "authorize",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        return ReleaseChange{cur, {}};
      },
      "rita");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "release.not_found");
  auto again = store->get_release(r.id);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->lifecycle.version, 1);
  EXPECT_EQ(history_size(r.id), 1u);
}

TEST_P(ReleaseStoreTest, TwoChangesRacingOnOneVersionGiveOneSuccessAndOneConflict) {
  auto r = registered("Upgrade nginx");
  // As the API decides: the change names the version its client read.
  auto edit = [&](const std::string& title) {
    return store->change_release(
        r.id, "update",
        [&](const ReleaseRecord& cur) -> Result<ReleaseChange> {
          if (cur.lifecycle.version != 1) {
            return fail("release.version_conflict", "the release changed", "version");
          }
          ReleaseChange c{cur, {}};
          c.next.fields.title = title;
          c.next.lifecycle.version += 1;
          return c;
        },
        title);
  };
  for (int round = 0; round < 5; ++round) {
    if (round > 0) {
      r = registered("Round " + std::to_string(round));
    }
    Result<ReleaseRecord> a = fail("test.unset", ""), b = fail("test.unset", "");
    std::thread ta([&] { a = edit("by ann"); });
    std::thread tb([&] { b = edit("by bob"); });
    ta.join();
    tb.join();
    ASSERT_NE(a.has_value(), b.has_value()) << "exactly one must win";
    const auto& lost = a ? b : a;
    EXPECT_EQ(lost.error().code, "release.version_conflict") << lost.error().describe();
    auto now = store->get_release(r.id);
    ASSERT_TRUE(now && *now);
    EXPECT_EQ((*now)->lifecycle.version, 2);
    EXPECT_EQ(history_size(r.id), 2u);  // create + the one change
  }
}

// A database as relman left it before roles and release records: migration 1 only.
class OldDatabaseTest : public ReleaseStoreTest {
 protected:
  void SetUp() override { sql::BackendTest::SetUp(); }
};

TEST_P(OldDatabaseTest, ReleasesAndUsersFromBeforeMigrations2And3ReadBack) {
  {
    auto c = conn();
    ASSERT_TRUE(c);
    ASSERT_TRUE(sql::migrate(*c, {migrations::k0001Initial}));
    ASSERT_TRUE(
        c->exec("INSERT INTO users(username, password_hash, role, created_at) "
                "VALUES('admin', 'x', 'admin', 0);"
                "INSERT INTO releases(number, title, description, state, created_by, "
                "created_at, updated_at) VALUES('REL-000001', 'Old one', 'it''s old', "
                "'registered', 'alice', 5, 5);"));
  }
  auto s = open_store();
  ASSERT_TRUE(s) << s.error().describe();
  auto r = (*s)->get_release(1);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_TRUE(*r);
  EXPECT_EQ((*r)->fields.title, "Old one");
  EXPECT_EQ((*r)->fields.description, "it's old");
  EXPECT_EQ((*r)->lifecycle.requester, "alice");
  EXPECT_EQ((*r)->lifecycle.version, 1);
  auto admin = (*s)->find_user("admin");
  ASSERT_TRUE(admin && *admin);
  EXPECT_EQ((*admin)->roles, std::vector<std::string>{"admin"});
  // And it changes like a new one.
  auto changed = (*s)->change_release(
      1, "update",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        ReleaseChange c{cur, {}};
        c.next.fields.title = "Old one, renamed";
        c.next.lifecycle.version += 1;
        return c;
      },
      "alice");
  ASSERT_TRUE(changed) << changed.error().describe();
  EXPECT_EQ(changed->fields.description, "it's old");
  EXPECT_EQ(changed->lifecycle.version, 2);
  ReleaseQuery q;
  q.text = "RENAMED";
  EXPECT_EQ((*s)->search_releases(q, Page{})->size(), 1u);
}

TEST_P(ReleaseStoreTest, SearchTakesWildcardsAsTextAndCountsGroup) {
  registered("100% done_now", "ops");
  registered("100 percent", "dba");
  registered("other", "ops");
  ReleaseQuery q;
  q.text = "0% d";
  auto hit = store->search_releases(q, Page{});
  ASSERT_TRUE(hit);
  ASSERT_EQ(hit->size(), 1u);
  EXPECT_EQ((*hit)[0].fields.title, "100% done_now");
  q.text = "e_n";
  EXPECT_EQ(store->search_releases(q, Page{})->size(), 1u);
  q.text = "x'; DROP TABLE releases; --";
  EXPECT_EQ(store->search_releases(q, Page{})->size(), 0u);
  auto counts = store->count_releases(ReleaseQuery{}, ReleaseCountKey::executor_group);
  ASSERT_TRUE(counts);
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].key, "dba");
  EXPECT_EQ((*counts)[1].count, 2);
  ReleaseQuery ops;
  ops.executor_group = "ops";
  EXPECT_EQ(store->search_releases(ops, Page{})->size(), 2u);
}

TEST_P(ReleaseStoreTest, RolesComeFromTheUserAndItsGroups) {
  ASSERT_TRUE(store->create_user("eve", "hash", "executor", "admin"));
  ASSERT_TRUE(store->create_user("ann", "hash", "requester", "admin"));
  auto g = store->create_group("cab", {"approver"}, {"eve"}, "admin");
  ASSERT_TRUE(g) << g.error().describe();
  EXPECT_EQ(g->members, std::vector<std::string>{"eve"});
  auto eve = store->find_user("eve");
  ASSERT_TRUE(eve && *eve);
  EXPECT_EQ((*eve)->roles, (std::vector<std::string>{"approver", "executor"}));
  EXPECT_EQ((*eve)->groups, std::vector<std::string>{"cab"});
  EXPECT_EQ(store->create_group("cab", {}, {}, "admin").error().code, "group.exists");
  EXPECT_EQ(store->create_group("x", {}, {"ghost"}, "admin").error().code, "user.not_found");
  EXPECT_EQ(store->set_user_roles("ghost", {"admin"}, "admin").error().code, "user.not_found");
  ASSERT_TRUE(store->set_user_roles("ann", {"auditor", "executor"}, "admin"));
  auto moved = store->set_group_members("cab", {"ann"}, "admin");
  ASSERT_TRUE(moved);
  eve = store->find_user("eve");
  EXPECT_EQ((*eve)->roles, std::vector<std::string>{"executor"});
  auto ann = store->find_user("ann");
  EXPECT_EQ((*ann)->roles, (std::vector<std::string>{"approver", "auditor", "executor"}));
  EXPECT_EQ(store->set_group_members("nope", {}, "admin").error().code, "group.not_found");
}

TEST_P(ReleaseStoreTest, ExecutionNotesGoToTheOpenExecutionOnlyAndAreAudited) {
  auto r = registered("Upgrade nginx");
  ExecutionNote n;
  n.description = "stopped web01; it's 'done' -- ; DROP TABLE releases";
  n.minutes_spent = 15;
  auto refused = store->add_execution_note(r.id, n, "eve");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "release.no_open_execution");
  EXPECT_NE(refused.error().message.find("registered"), std::string::npos);
  auto missing = store->add_execution_note(r.id + 100, n, "eve");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "release.not_found");
  EXPECT_EQ(history_size(r.id), 1u) << "a refused note leaves no audit entry";

  auto started = store->change_release(
      r.id, "start_execution",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        ReleaseChange c{cur, json::object()};
        c.next.lifecycle.state = LifecycleState::in_execution;
        c.next.lifecycle.executions = 1;
        c.next.lifecycle.version += 1;
        return c;
      },
      "eve");
  ASSERT_TRUE(started) << started.error().describe();
  auto added = store->add_execution_note(r.id, n, "eve");
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_GT(added->id, 0);
  EXPECT_EQ(added->execution, 1);
  EXPECT_EQ(added->author, "eve");
  EXPECT_GT(added->at, 0);
  auto listed = store->list_execution_notes(r.id);
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), *added);
  EXPECT_EQ(listed->front().description, n.description) << "text is kept verbatim";
  auto h = store->release_history(r.id, Page{500, 0});
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ(h->back().action, "release.execution_note");
  auto other = registered("another");
  auto none = store->list_execution_notes(other.id);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

RELMAN_INSTANTIATE_BACKENDS(ReleaseStoreTest);
RELMAN_INSTANTIATE_BACKENDS(OldDatabaseTest);

}  // namespace
}  // namespace relman::controller
