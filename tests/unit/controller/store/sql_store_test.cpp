// SqlStore on a real database of each backend: migrations, the order lifecycle rules, and the
// audit log's append-only guarantee.
#include "controller/store/sql_store.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "protocol/clock.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {

class SqlStoreTest : public StoreBackendTest {
 protected:
  // A connection of our own to the store's database, past the Store interface.
  std::unique_ptr<sql::Connection> raw() { return conn(); }

  // An authorized package (deployable); `authorize` false leaves it uploaded.
  PackageRecord package(const std::string& version, const std::string& sha, bool authorize = true) {
    PackageRecord p;
    p.name = "app";
    p.version = version;
    p.platform = "any";
    p.payload_kind = "archive";
    p.sha256 = sha;
    p.manifest_sha256 = std::string(64, 'm');
    p.size = 10;
    p.status = "uploaded";
    auto r = store->insert_package(p, "alice");
    EXPECT_TRUE(r) << r.error().describe();
    if (!r) return p;
    if (!authorize) return *r;
    for (const char* action : {"test", "authorize"}) {
      auto t = store->transition_package(r->id, action, "", "alice");
      EXPECT_TRUE(t) << t.error().describe();
      if (t) *r = t->package;
    }
    return *r;
  }

  // A deployment of a fresh (authorized) package to `hosts`.
  DeploymentRecord deployment(const std::vector<std::string>& hosts) {
    auto rel = store->create_release("r", "", "alice");
    EXPECT_TRUE(rel);
    ++counter;
    auto pkg = package("1.0." + std::to_string(counter),
                       std::string(63, 'a') + std::to_string(counter % 10));
    auto d = store->create_deployment(rel->id, pkg.id, hosts, 4102444800, false, "alice");
    EXPECT_TRUE(d) << d.error().describe();
    return *d;
  }

  int counter = 0;
};

TEST_P(SqlStoreTest, ReopeningAppliesNoMigrationTwice) {
  ASSERT_TRUE(store->create_release("kept", "", "alice"));
  store.reset();
  auto again = open_store();
  ASSERT_TRUE(again) << again.error().describe();
  auto list = (*again)->search_releases(ReleaseQuery{}, Page{});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].number, "REL-000001");
}

TEST_P(SqlStoreTest, RefusesADatabaseFromANewerRelman) {
  store.reset();
  auto db = raw();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("INSERT INTO schema_migrations VALUES(999, 0)"));
  db.reset();
  auto again = open_store();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "store.schema_too_new");
}

TEST_P(SqlStoreTest, PackageVersionsAreImmutable) {
  auto first = package("1.0.0", std::string(64, 'a'));
  auto same = store->insert_package(first, "bob");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->id, first.id);
  PackageRecord other = first;
  other.sha256 = std::string(64, 'b');
  auto clash = store->insert_package(other, "bob");
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, "dml.version_exists");
}

TEST_P(SqlStoreTest, OrderLifecycleAcceptsResultsOnlyFromItsHost) {
  auto d = deployment({"web-01", "web-02"});
  EXPECT_EQ(d.status(), "pending");
  auto deliveries = store->open_deliveries("web-01");
  ASSERT_TRUE(deliveries);
  ASSERT_EQ(deliveries->size(), 1u);
  auto target = (*deliveries)[0].target;
  ASSERT_TRUE(store->record_order(target.id, "order-1", "{signed}", 100));
  auto again = store->record_order(target.id, "order-2", "{signed}", 100);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "deploy.not_pending");

  auto foreign = store->record_result("web-02", "order-1", true, "", "", "1.0.1", "", "", 101);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "deploy.unknown_order");
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "downloading", 5, 10, 101));
  ASSERT_TRUE(
      store->record_result("web-01", "order-1", false, "order.expired", "late", "", "", "", 102));
  auto twice = store->record_result("web-01", "order-1", true, "", "", "1.0.1", "", "", 103);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "deploy.already_finished");

  auto after = store->get_deployment(d.id);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->targets[0].status, "failed");
  EXPECT_EQ((*after)->targets[0].error_code, "order.expired");
  EXPECT_EQ((*after)->status(), "in_progress") << "web-02 is still pending";
  EXPECT_TRUE(store->open_deliveries("web-01")->empty());
}

TEST_P(SqlStoreTest, ProgressKeepsTheLatestPhaseAndWhenEachPhaseStarted) {
  auto d = deployment({"web-01"});
  auto target = (*store->open_deliveries("web-01"))[0].target;
  ASSERT_TRUE(store->record_order(target.id, "order-1", "{signed}", 100));
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "queued", 0, 10, 101));
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "downloading", 2, 10, 102));
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "downloading", 8, 10, 103));
  auto running = (*store->get_deployment(d.id))->targets[0];
  EXPECT_EQ(running.status, "in_progress");
  EXPECT_EQ(running.phase, "downloading");
  EXPECT_EQ(running.bytes_done, 8);
  EXPECT_EQ(running.started_at, 101);
  EXPECT_EQ(running.updated_at, 103);
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "health_check", 0, 0, 105));
  ASSERT_TRUE(store->record_result("web-01", "order-1", false, "install.health_check_failed",
                                   "exit 3", "1.0.0", "rolled_back", "== health_check ==\nno",
                                   107));
  auto done = (*store->get_deployment(d.id))->targets[0];
  EXPECT_EQ(done.status, "failed");
  EXPECT_EQ(done.phase, "rolled_back");
  EXPECT_EQ(done.output, "== health_check ==\nno");
  EXPECT_EQ(done.finished_at, 107);
  ASSERT_EQ(done.phases.size(), 4u);
  EXPECT_EQ(done.phases[0].phase, "queued");
  EXPECT_EQ(done.phases[1].phase, "downloading");
  EXPECT_EQ(done.phases[1].started_at, 102);
  EXPECT_EQ(done.phases[2].phase, "health_check");
  EXPECT_EQ(done.phases[3].phase, "rolled_back");
  EXPECT_EQ(done.phases[3].started_at, 107);
}

TEST_P(SqlStoreTest, PhaseHistoryIsBoundedPerTarget) {
  auto d = deployment({"web-01"});
  auto target = (*store->open_deliveries("web-01"))[0].target;
  ASSERT_TRUE(store->record_order(target.id, "order-1", "{signed}", 100));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store->record_progress("web-01", "order-1", i % 2 ? "queued" : "downloading", i,
                                       200, 100 + i));
  }
  auto t = (*store->get_deployment(d.id))->targets[0];
  EXPECT_EQ(t.phases.size(), 64u);
  EXPECT_EQ(t.bytes_done, 199);
  AuditQuery q;
  q.action_prefix = "deployment.progress";
  auto entries = store->list_audit(q, Page{500, 0});
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->size(), 64u) << "the audit log is bounded like the phase history";
}

// Only phase changes are events: byte progress within a phase updates the target, no more.
TEST_P(SqlStoreTest, PhaseChangesAreAuditedAsDeploymentProgressAndByteProgressIsNot) {
  auto d = deployment({"web-01"});
  auto target = (*store->open_deliveries("web-01"))[0].target;
  ASSERT_TRUE(store->record_order(target.id, "order-1", "{signed}", 100));
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "queued", 0, 10, 101));
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(store->record_progress("web-01", "order-1", "downloading", i, 10, 101 + i));
  }
  ASSERT_TRUE(store->record_progress("web-01", "order-1", "verifying", 10, 10, 112));
  AuditQuery q;
  q.action_prefix = "deployment.progress";
  auto entries = store->list_audit(q, Page{});
  ASSERT_TRUE(entries) << entries.error().describe();
  ASSERT_EQ(entries->size(), 3u);
  // Newest first.
  const auto& first = (*entries)[2];
  EXPECT_EQ(first.actor, "web-01");
  EXPECT_EQ(first.object_type, "deployment");
  EXPECT_EQ(first.object_id, std::to_string(d.id));
  auto detail = nlohmann::json::parse((*entries)[1].detail_json);
  EXPECT_EQ(detail["phase"], "downloading");
  EXPECT_EQ(detail["previous_phase"], "queued");
  EXPECT_EQ(detail["host"], "web-01");
  EXPECT_EQ(detail["target_id"], target.id);
  EXPECT_EQ(nlohmann::json::parse((*entries)[0].detail_json)["phase"], "verifying");
  auto t = (*store->get_deployment(d.id))->targets[0];
  EXPECT_EQ(t.bytes_done, 10);
  EXPECT_EQ(t.updated_at, 112);
}

TEST_P(SqlStoreTest, RollbackDeploymentTargetsTheHostsAndIsAudited) {
  auto d = deployment({"web-01", "web-02"});
  auto r = store->create_rollback_deployment(d.id, {"web-02"}, 4102444800, "alice");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->action, "rollback");
  EXPECT_EQ(r->rollback_of, d.id);
  EXPECT_EQ(r->package_id, d.package_id);
  ASSERT_EQ(r->targets.size(), 1u);
  EXPECT_EQ(r->targets[0].host_id, "web-02");
  EXPECT_EQ(r->targets[0].status, "pending");
  auto missing = store->create_rollback_deployment(9999, {"web-02"}, 4102444800, "alice");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "deployment.not_found");
}

TEST_P(SqlStoreTest, PendingTargetsFailWhenTheDeadlinePasses) {
  auto rel = store->create_release("r", "", "alice");
  auto pkg = package("2.0.0", std::string(64, 'c'));
  auto d = store->create_deployment(rel->id, pkg.id, {"gone-01", "live-01"}, 1000, false, "alice");
  ASSERT_TRUE(d);
  auto live = store->open_deliveries("live-01");
  ASSERT_TRUE(store->record_order((*live)[0].target.id, "o-live", "{}", 900));
  auto early = store->expire_pending_targets(999);
  ASSERT_TRUE(early);
  EXPECT_EQ(*early, 0);
  auto n = store->expire_pending_targets(1000);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1) << "only the pending target; the sent order is the agent's to finish";
  auto after = store->get_deployment(d->id);
  EXPECT_EQ((*after)->targets[0].status, "failed");
  EXPECT_EQ((*after)->targets[0].error_code, "deploy.expired_before_delivery");
  EXPECT_EQ((*after)->targets[1].status, "sent");
}

TEST_P(SqlStoreTest, DeploymentStatusIsDerivedFromTargets) {
  DeploymentRecord d;
  d.targets = {TargetRecord{}, TargetRecord{}};
  d.targets[0].status = "succeeded";
  d.targets[1].status = "in_progress";
  EXPECT_EQ(d.status(), "in_progress");
  d.targets[1].status = "failed";
  EXPECT_EQ(d.status(), "failed");
  d.targets[1].status = "succeeded";
  EXPECT_EQ(d.status(), "succeeded");
}

TEST_P(SqlStoreTest, AuditLogCannotBeChangedOrDeleted) {
  ASSERT_TRUE(store->create_release("audited", "", "alice"));
  auto entries = store->list_audit(AuditQuery{}, Page{});
  ASSERT_TRUE(entries);
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->front().action, "release.create");
  EXPECT_EQ(entries->front().actor, "alice");
  auto db = raw();
  ASSERT_TRUE(db);
  auto update = db->exec("UPDATE audit_log SET actor = 'mallory'");
  ASSERT_FALSE(update);
  EXPECT_NE(update.error().message.find("append-only"), std::string::npos)
      << update.error().describe();
  auto del = db->exec("DELETE FROM audit_log");
  ASSERT_FALSE(del);
  EXPECT_NE(del.error().message.find("append-only"), std::string::npos) << del.error().describe();
  if (on_postgres()) {
    auto truncate = db->exec("TRUNCATE audit_log");
    ASSERT_FALSE(truncate);
    EXPECT_NE(truncate.error().message.find("append-only"), std::string::npos);
  }
  auto after = store->list_audit(AuditQuery{}, Page{});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), entries->size());
  EXPECT_EQ(after->front().actor, "alice");
}

TEST_P(SqlStoreTest, AuditLogIsQueryablePerObjectActorAndAction) {
  auto r1 = store->create_release("one", "", "alice");
  auto r2 = store->create_release("two", "", "bob");
  ASSERT_TRUE(r1 && r2);
  auto by_bob = store->list_audit(
      AuditQuery{.actor = "bob", .object_type = "", .object_id = "", .action_prefix = ""}, Page{});
  ASSERT_TRUE(by_bob);
  ASSERT_EQ(by_bob->size(), 1u);
  EXPECT_EQ(by_bob->front().object_id, std::to_string(r2->id));

  auto of_r1 = store->list_audit(AuditQuery{.actor = "",
                                            .object_type = "release",
                                            .object_id = std::to_string(r1->id),
                                            .action_prefix = ""},
                                 Page{});
  ASSERT_TRUE(of_r1);
  ASSERT_EQ(of_r1->size(), 1u);
  EXPECT_EQ(of_r1->front().actor, "alice");

  auto releases = store->list_audit(
      AuditQuery{.actor = "", .object_type = "", .object_id = "", .action_prefix = "release."},
      Page{});
  ASSERT_TRUE(releases);
  EXPECT_EQ(releases->size(), 2u);
  // '%' is not a wildcard in the prefix.
  auto none = store->list_audit(
      AuditQuery{.actor = "", .object_type = "", .object_id = "", .action_prefix = "%"}, Page{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(SqlStoreTest, AuditAfterAnIdIsOldestFirstAndBounded) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->create_release("r", "", "alice"));
  auto all = store->list_audit_after(0, 500);
  ASSERT_TRUE(all);
  ASSERT_GE(all->size(), 5u);
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].id, (*all)[i].id);
  auto rest = store->list_audit_after((*all)[1].id, 2);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->front().id, (*all)[2].id);
  auto nothing = store->list_audit_after(all->back().id, 10);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->empty());
}

TEST_P(SqlStoreTest, SessionsExpire) {
  auto user = store->create_user("carol", "hash", "admin", "test");
  ASSERT_TRUE(user);
  const auto expires = relman::unix_seconds() + 600;
  ASSERT_TRUE(store->create_session("tokenhash", user->id, expires));
  auto live = store->find_session_user("tokenhash", expires - 1);
  ASSERT_TRUE(live && *live);
  EXPECT_EQ((*live)->username, "carol");
  auto expired = store->find_session_user("tokenhash", expires);
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
  auto dup = store->create_user("carol", "hash", "admin", "test");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "user.exists");
}

TEST_P(SqlStoreTest, OnlyAuthorizedVersionsAreDeployed) {
  auto rel = store->create_release("r", "", "alice");
  ASSERT_TRUE(rel);
  auto pkg = package("3.0.0", std::string(64, 'd'), /*authorize=*/false);
  EXPECT_EQ(pkg.status, "uploaded");
  auto refused = store->create_deployment(rel->id, pkg.id, {"web-01"}, 4102444800, false, "a");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "package.not_authorized");

  auto skip = store->transition_package(pkg.id, "authorize", "", "bob");
  ASSERT_FALSE(skip);
  EXPECT_EQ(skip.error().code, "package.illegal_transition");
  EXPECT_EQ(skip.error().context, "test, revoke");
  auto tested = store->transition_package(pkg.id, "test", "suite 118/118", "bob");
  ASSERT_TRUE(tested) << tested.error().describe();
  EXPECT_EQ(tested->package.status, "tested");
  EXPECT_EQ(tested->package.status_changed_by, "bob");
  EXPECT_EQ(tested->package.status_reason, "suite 118/118");
  EXPECT_FALSE(store->create_deployment(rel->id, pkg.id, {"web-01"}, 4102444800, false, "a"));
  auto authorized = store->transition_package(pkg.id, "authorize", "", "carol");
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->package.status, "authorized");
  EXPECT_TRUE(store->create_deployment(rel->id, pkg.id, {"web-01"}, 4102444800, false, "a"));

  auto history =
      store->list_audit(AuditQuery{"", "package", std::to_string(pkg.id), "package."}, Page{10, 0});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 3u);  // newest first
  EXPECT_EQ((*history)[0].action, "package.authorize");
  EXPECT_EQ((*history)[1].action, "package.test");
  EXPECT_EQ((*history)[2].action, "package.upload");
  EXPECT_NE((*history)[0].detail_json.find("\"before\":\"tested\""), std::string::npos);

  auto missing = store->transition_package(pkg.id + 100, "test", "", "bob");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "package.not_found");
}

TEST_P(SqlStoreTest, RevokingStopsWhatHasNotStartedAndIsFinal) {
  // web-01's order is sent; web-02 and web-03 are pending.
  auto d = deployment({"web-01", "web-02", "web-03"});
  auto open = store->open_deliveries("web-01");
  ASSERT_TRUE(open && open->size() == 1u);
  ASSERT_TRUE(store->record_order((*open)[0].target.id, "o-1", "{}", 100));
  // A rollback away from this version, still pending, must survive the revoke.
  auto rollback = store->create_rollback_deployment(d.id, {"web-09"}, 4102444800, "alice");
  ASSERT_TRUE(rollback) << rollback.error().describe();
  const auto pkg = store->get_package(d.package_id).value().value();
  ASSERT_TRUE(store->host_awaits_package("web-01", pkg.sha256).value());
  auto revoked = store->transition_package(d.package_id, "revoke", "CVE-2026-1234", "sec");
  ASSERT_TRUE(revoked) << revoked.error().describe();
  EXPECT_EQ(revoked->package.status, "revoked");
  EXPECT_EQ(revoked->cancelled_targets, 2);
  auto after = store->get_deployment(d.id);
  ASSERT_TRUE(after && *after);
  for (const auto& t : (*after)->targets) {
    if (t.host_id == "web-01") {
      EXPECT_EQ(t.status, "sent") << "the agent reports what happened to a sent order";
    } else {
      EXPECT_EQ(t.status, "failed") << t.host_id;
      EXPECT_EQ(t.error_code, "package.revoked") << t.host_id;
      EXPECT_NE(t.message.find("CVE-2026-1234"), std::string::npos) << t.message;
    }
  }
  EXPECT_FALSE(store->host_awaits_package("web-01", pkg.sha256).value())
      << "a revoked file is not downloaded any more";
  auto kept = store->get_deployment(rollback->id);
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->targets[0].status, "pending") << "the rollback still runs";

  auto rel = store->create_release("again", "", "alice");
  auto again = store->create_deployment(rel->id, d.package_id, {"web-04"}, 4102444800, false, "a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "package.revoked");
  auto back = store->transition_package(d.package_id, "authorize", "", "alice");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, "package.illegal_transition");
  EXPECT_EQ(back.error().context, "none");
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreTest);

}  // namespace
}  // namespace relman::controller
