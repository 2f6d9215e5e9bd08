// SqlStore's release types, subscriptions and the notification in a release event's audit
// detail, on each backend: groups a type names must exist, a release's type must exist (an old
// free-text type is kept), and created/transition/closed events render the type's templates for
// the requester, the executor group, subscribed groups and the type's notify groups.
#include <gtest/gtest.h>

#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;

class ReleaseTypeStoreTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* g : {"ops", "watchers", "cab"}) {
      ASSERT_TRUE(store->create_group(g, {}, {}, "admin"));
    }
  }

  ReleaseType standard() {
    ReleaseType t;
    t.name = "standard";
    t.description = "planned change";
    t.executor_group = "ops";
    t.notify_groups = {"cab"};
    t.templates["created"] = {"New {{number}}", "{{requester}} asked for {{title}}"};
    t.templates["transition"] = {"{{number}}: {{action}}",
                                 "now {{state}} (was {{previous_state}})"};
    t.templates["closed"] = {"Closed {{number}}", "{{actor}} closed it"};
    return t;
  }

  ReleaseRecord draft(const std::string& type) {
    ReleaseRecord d;
    d.fields.title = "Upgrade nginx";
    d.fields.type = type;
    d.lifecycle.requester = "rita";
    d.lifecycle.executor_group = "ops";
    d.lifecycle.current_responsible = Principal{PrincipalKind::user, "rita"};
    return d;
  }

  json last_detail(std::int64_t release_id) {
    auto h = store->release_history(release_id, Page{500, 0});
    EXPECT_TRUE(h && !h->empty());
    return h && !h->empty() ? json::parse(h->back().detail_json) : json();
  }

  Result<ReleaseRecord> step(std::int64_t id, const std::string& action, LifecycleState to) {
    return store->change_release(
        id, action,
        [&](const ReleaseRecord& cur) -> Result<ReleaseChange> {
          ReleaseChange c{cur, {}};
          c.next.lifecycle.state = to;
          c.next.lifecycle.version += 1;
          return c;
        },
        "max");
  }
};

TEST_P(ReleaseTypeStoreTest, ATypeIsStoredChangedAndAudited) {
  auto created = store->create_release_type(standard(), "admin");
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->created_by, "admin");
  auto got = store->get_release_type("standard");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->templates, standard().templates);
  EXPECT_EQ((*got)->notify_groups, std::vector<std::string>{"cab"});
  auto again = store->create_release_type(standard(), "admin");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "release_type.exists");

  auto changed = store->change_release_type(
      "standard",
      [](const ReleaseType& cur) -> Result<ReleaseType> {
        ReleaseType t = cur;
        t.executor_group = "watchers";
        return t;
      },
      "admin");
  ASSERT_TRUE(changed) << changed.error().describe();
  EXPECT_EQ(changed->version, 2);
  EXPECT_EQ(changed->executor_group, "watchers");
  auto list = store->list_release_types(Page{});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);

  AuditQuery q;
  q.object_type = "release_type";
  auto audit = store->list_audit(q, Page{});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "release_type.update");
  auto detail = json::parse((*audit)[0].detail_json);
  EXPECT_EQ(detail["before"]["executor_group"], "ops");
  EXPECT_EQ(detail["after"]["executor_group"], "watchers");
}

TEST_P(ReleaseTypeStoreTest, GroupsATypeNamesMustExistAndNothingIsStoredOtherwise) {
  auto t = standard();
  t.executor_group = "nobody";
  auto refused = store->create_release_type(t, "admin");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "release_type.unknown_group");
  EXPECT_EQ(refused.error().context, "nobody");
  t = standard();
  t.notify_groups = {"cab", "ghosts"};
  refused = store->create_release_type(t, "admin");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().context, "ghosts");
  EXPECT_TRUE(store->list_release_types(Page{})->empty());

  ASSERT_TRUE(store->create_release_type(standard(), "admin"));
  auto bad_change = store->change_release_type(
      "standard",
      [](const ReleaseType& cur) -> Result<ReleaseType> {
        ReleaseType n = cur;
        n.executor_group = "nobody";
        return n;
      },
      "admin");
  ASSERT_FALSE(bad_change);
  EXPECT_EQ(bad_change.error().code, "release_type.unknown_group");
  EXPECT_EQ((*store->get_release_type("standard"))->executor_group, "ops");
  auto missing = store->change_release_type(
      "nope", [](const ReleaseType& cur) -> Result<ReleaseType> { return cur; }, "admin");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "release_type.not_found");
}

TEST_P(ReleaseTypeStoreTest, AReleaseOfAnUnknownTypeIsRefusedAndNotStored) {
  auto r = store->register_release(draft("nope"), "rita");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "release.unknown_type");
  EXPECT_TRUE(store->search_releases(ReleaseQuery{}, Page{})->empty());
  // Changing a release to an unknown type is refused too.
  auto ok = store->register_release(draft(""), "rita");
  ASSERT_TRUE(ok) << ok.error().describe();
  auto changed = store->change_release(
      ok->id, "update",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        ReleaseChange c{cur, {}};
        c.next.fields.type = "nope";
        c.next.lifecycle.version += 1;
        return c;
      },
      "rita");
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, "release.unknown_type");
}

TEST_P(ReleaseTypeStoreTest, EventsRenderTheTypesTemplatesForEveryRecipient) {
  ASSERT_TRUE(store->create_release_type(standard(), "admin"));
  auto r = store->register_release(draft("standard"), "rita");
  ASSERT_TRUE(r) << r.error().describe();
  auto created = last_detail(r->id)["notification"];
  EXPECT_EQ(created["event"], "created");
  EXPECT_EQ(created["template"], "type");
  EXPECT_EQ(created["subject"], "New " + r->number);
  EXPECT_EQ(created["body"], "rita asked for Upgrade nginx");
  EXPECT_EQ(created["recipients"]["users"], json({"rita"}));
  EXPECT_EQ(created["recipients"]["groups"], json({"cab", "ops"}));

  auto sub = store->subscribe_release(r->id, "watchers", "eve");
  ASSERT_TRUE(sub) << sub.error().describe();
  EXPECT_TRUE(*sub);
  EXPECT_FALSE(*store->subscribe_release(r->id, "watchers", "eve"));
  ASSERT_TRUE(step(r->id, "authorize", LifecycleState::authorized));
  auto moved = last_detail(r->id)["notification"];
  EXPECT_EQ(moved["event"], "transition");
  EXPECT_EQ(moved["subject"], r->number + ": authorize");
  EXPECT_EQ(moved["body"], "now authorized (was registered)");
  EXPECT_EQ(moved["recipients"]["groups"], json({"cab", "ops", "watchers"}));

  ASSERT_TRUE(step(r->id, "close", LifecycleState::closed));
  auto closed = last_detail(r->id)["notification"];
  EXPECT_EQ(closed["event"], "closed");
  EXPECT_EQ(closed["subject"], "Closed " + r->number);
  EXPECT_EQ(closed["body"], "max closed it");

  // Unsubscribed, the group is no longer told; field edits are audited but notify nobody.
  EXPECT_TRUE(*store->unsubscribe_release(r->id, "watchers", "eve"));
  EXPECT_FALSE(*store->unsubscribe_release(r->id, "watchers", "eve"));
  ASSERT_TRUE(step(r->id, "reopen", LifecycleState::in_execution));
  EXPECT_EQ(last_detail(r->id)["notification"]["recipients"]["groups"], json({"cab", "ops"}));
  auto edited = store->change_release(
      r->id, "update",
      [](const ReleaseRecord& cur) -> Result<ReleaseChange> {
        ReleaseChange c{cur, {}};
        c.next.fields.title = "Upgrade nginx twice";
        c.next.lifecycle.version += 1;
        return c;
      },
      "rita");
  ASSERT_TRUE(edited);
  EXPECT_FALSE(last_detail(r->id).contains("notification"));
  auto h = store->release_history(r->id, Page{500, 0});
  ASSERT_TRUE(h);
  std::vector<std::string> actions;
  for (const auto& e : *h) actions.push_back(e.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"release.create", "release.subscribe", "release.authorize",
                                      "release.close", "release.unsubscribe", "release.reopen",
                                      "release.update"}));
}

TEST_P(ReleaseTypeStoreTest, SubscriptionsNeedAnExistingReleaseAndGroup) {
  auto r = store->register_release(draft(""), "rita");
  ASSERT_TRUE(r);
  auto no_group = store->subscribe_release(r->id, "ghosts", "eve");
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code, "release.unknown_group");
  auto no_release = store->subscribe_release(9999, "ops", "eve");
  ASSERT_FALSE(no_release);
  EXPECT_EQ(no_release.error().code, "release.not_found");
  EXPECT_EQ(store->release_subscriptions(9999).error().code, "release.not_found");
  ASSERT_TRUE(store->subscribe_release(r->id, "watchers", "eve"));
  ASSERT_TRUE(store->subscribe_release(r->id, "cab", "max"));
  auto subs = store->release_subscriptions(r->id);
  ASSERT_TRUE(subs);
  ASSERT_EQ(subs->size(), 2u);
  EXPECT_EQ((*subs)[0].group, "cab");
  EXPECT_EQ((*subs)[0].added_by, "max");
  EXPECT_EQ((*subs)[1].group, "watchers");
}

TEST_P(ReleaseTypeStoreTest, AFreeTextTypeFromBeforeTypesIsKeptAndUsesDefaultTemplates) {
  auto r = store->register_release(draft(""), "rita");
  ASSERT_TRUE(r);
  {
    // What migration 8 leaves: a release whose type is text that names no release type.
    auto c = conn();
    ASSERT_TRUE(c);
    auto st = c->prepare("UPDATE releases SET fields_json = ? WHERE id = ?");
    ASSERT_TRUE(st);
    json fields = to_json(r->fields);
    fields["type"] = "Emergency fix";
    st->bind(1, fields.dump()).bind(2, r->id);
    ASSERT_TRUE(st->run());
  }
  auto read = store->get_release(r->id);
  ASSERT_TRUE(read && *read) << (read ? "" : read.error().describe());
  EXPECT_EQ((*read)->fields.type, "Emergency fix");
  auto moved = step(r->id, "authorize", LifecycleState::authorized);
  ASSERT_TRUE(moved) << moved.error().describe();
  EXPECT_EQ(moved->fields.type, "Emergency fix");
  auto n = last_detail(r->id)["notification"];
  EXPECT_EQ(n["template"], "default");
  EXPECT_EQ(n["subject"], r->number + " authorize: authorized");
}

RELMAN_INSTANTIATE_BACKENDS(ReleaseTypeStoreTest);

}  // namespace
}  // namespace relman::controller
