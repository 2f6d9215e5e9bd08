// Rollouts in the store on each backend: creation with waves and hosts, a dispatch that
// creates a pending target in the same transaction, results flowing back from targets,
// cancelling an undelivered order, the retry's new deployment, and refusals.
#include <gtest/gtest.h>

#include "controller/rollout/engine.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {
using rollout::RolloutRecord;

class SqlStoreRolloutTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto rel = store->create_release("r", "", "alice");
    ASSERT_TRUE(rel);
    PackageRecord p;
    p.name = "app";
    p.version = "1.0.0";
    p.platform = "any";
    p.payload_kind = "archive";
    p.sha256 = std::string(64, 'a');
    p.manifest_sha256 = std::string(64, 'm');
    p.size = 10;
    p.status = "uploaded";
    auto pkg = store->insert_package(p, "alice");
    ASSERT_TRUE(pkg) << pkg.error().describe();
    package_id = pkg->id;
    for (const char* action : {"test", "authorize"}) {
      ASSERT_TRUE(store->transition_package(pkg->id, action, "", "alice"));
    }
    draft.release_id = rel->id;
    draft.package_id = pkg->id;
    draft.deadline = 4102444800;
    draft.request_json = "{}";
    draft.waves = {{.index = 0, .kind = "canary", .max_concurrent = 1, .min_succeeded = 1},
                   {.index = 1, .kind = "batch", .max_concurrent = 2, .min_succeeded = 2}};
    for (auto [id, wave] : {std::pair{"c", 0}, {"a", 1}, {"b", 1}}) {
      rollout::RolloutHost h;
      h.host_id = id;
      h.wave = wave;
      h.position = static_cast<std::int64_t>(draft.hosts.size());
      draft.hosts.push_back(h);
    }
  }

  Result<RolloutUpdate> step(std::int64_t id, std::int64_t now) {
    auto schedule = *rollout::Schedule::make({}, {});
    RolloutChange change = [&](RolloutRecord& r) {
      return Result<std::vector<rollout::RolloutEvent>>(rollout::step(
          r, schedule, [](const std::string&) { return std::vector<std::string>{}; }, now));
    };
    return store->update_rollout(id, change, "controller");
  }

  // Finishes a target as an agent's result would (past the Store interface).
  void finish_target(std::int64_t target_id, const std::string& status) {
    auto c = conn();
    auto st = c->prepare("UPDATE deployment_targets SET status = ? WHERE id = ?");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->bind(1, status).bind(2, target_id).run());
  }

  // Sends the host's target (as the gateway does) and finishes it.
  void deliver(const RolloutRecord& r, const std::string& host, const std::string& status) {
    for (const auto& h : r.hosts) {
      if (h.host_id != host) continue;
      ASSERT_TRUE(
          store->record_order(h.target_id, "o-" + host + std::to_string(h.target_id), "{}", 1000));
      finish_target(h.target_id, status);
      return;
    }
    FAIL() << "no host " << host;
  }

  RolloutRecord draft;
  std::int64_t package_id = 0;
};

TEST_P(SqlStoreRolloutTest, StepsArePersistedWithTheTargetsTheyCreate) {
  auto created = store->create_rollout(draft, false, "alice");
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(created->state, "running");
  ASSERT_EQ(created->hosts.size(), 3u);
  EXPECT_EQ(created->hosts[0].state, "waiting");
  auto active = store->active_rollouts();
  ASSERT_TRUE(active);
  EXPECT_EQ(*active, std::vector<std::int64_t>{created->id});

  auto first = step(created->id, 1000);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->dispatched, std::vector<std::string>{"c"});
  // The dispatch is in the store: the host's pending target exists and is deliverable.
  auto deliveries = store->open_deliveries("c");
  ASSERT_TRUE(deliveries);
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].target.status, "pending");
  EXPECT_EQ((*deliveries)[0].deployment.id, created->deployment_id);
  auto loaded = store->get_rollout(created->id);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->hosts[0].state, "dispatched");
  EXPECT_EQ((*loaded)->hosts[0].target_id, (*deliveries)[0].target.id);
  EXPECT_EQ((*loaded)->waves[0].state, "running");

  // A step that decides nothing writes nothing and dispatches nobody again.
  auto idle = step(created->id, 1001);
  ASSERT_TRUE(idle);
  EXPECT_TRUE(idle->dispatched.empty());
  EXPECT_TRUE(idle->events.empty());

  ASSERT_TRUE(store->record_order((*deliveries)[0].target.id, "o-1", "{}", 1002));
  finish_target((*deliveries)[0].target.id, "succeeded");
  auto second = step(created->id, 1003);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->dispatched, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(second->rollout.waves[0].state, "succeeded");

  // Abort cancels the undelivered orders of a and b.
  RolloutChange abort = [](RolloutRecord& r) { return rollout::abort(r, 1004); };
  auto aborted = store->update_rollout(created->id, abort, "alice");
  ASSERT_TRUE(aborted) << aborted.error().describe();
  EXPECT_EQ(aborted->rollout.state, "aborted");
  auto dep = store->get_deployment(created->deployment_id);
  ASSERT_TRUE(dep && *dep);
  ASSERT_EQ((*dep)->targets.size(), 3u);
  EXPECT_EQ((*dep)->targets[1].status, "failed");
  EXPECT_EQ((*dep)->targets[1].error_code, "rollout.aborted");
  EXPECT_TRUE(store->open_deliveries("a")->empty());
  EXPECT_TRUE(store->active_rollouts()->empty());

  auto audit = store->list_audit(AuditQuery{.actor = "",
                                            .object_type = "rollout",
                                            .object_id = std::to_string(created->id),
                                            .action_prefix = ""},
                                 Page{500, 0});
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->front().action, "rollout.aborted");
  EXPECT_EQ(audit->front().actor, "alice");
  EXPECT_EQ(audit->back().action, "rollout.create");
}

TEST_P(SqlStoreRolloutTest, RetryFailedDispatchesIntoANewDeployment) {
  auto created = store->create_rollout(draft, false, "alice");
  ASSERT_TRUE(created);
  ASSERT_TRUE(step(created->id, 1000));
  auto r = store->get_rollout(created->id);
  finish_target((*r)->hosts[0].target_id, "failed");
  auto failed = step(created->id, 1001);
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->rollout.state, "failed");
  RolloutChange retry = [](RolloutRecord& x) { return rollout::retry_failed(x, 1002); };
  auto retried = store->update_rollout(created->id, retry, "alice");
  ASSERT_TRUE(retried) << retried.error().describe();
  EXPECT_NE(retried->rollout.deployment_id, created->deployment_id);
  auto again = step(created->id, 1003);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->dispatched, std::vector<std::string>{"c"});
  auto dep = store->get_deployment(retried->rollout.deployment_id);
  ASSERT_TRUE(dep && *dep);
  ASSERT_EQ((*dep)->targets.size(), 1u);
  EXPECT_EQ((*dep)->targets[0].host_id, "c");
}

TEST_P(SqlStoreRolloutTest, RefusalsChangeNothing) {
  auto created = store->create_rollout(draft, false, "alice");
  ASSERT_TRUE(created);
  RolloutChange resume = [](RolloutRecord& x) { return rollout::resume(x, 1000); };
  auto refused = store->update_rollout(created->id, resume, "alice");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "rollout.illegal_transition");
  auto missing = store->update_rollout(created->id + 100, resume, "alice");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "rollout.not_found");
  auto none = store->get_rollout(created->id + 100);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto listed = store->list_rollouts(draft.release_id, Page{10, 0});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].hosts.size(), 3u);
}

// stop_and_rollback: the canary "c" succeeded, then "a" failed in the batch (which allows no
// failure). The step that fails the wave writes a rollback deployment of c's deployment with a
// pending target for c, deliverable as a rollback order; "b", whose order was in progress,
// gets its rollback in the step that takes its success.
TEST_P(SqlStoreRolloutTest, AFailedWaveOrdersRollbacksInTheSameTransaction) {
  draft.failure_policy = "stop_and_rollback";
  draft.waves[1].max_failed = 0;
  auto created = store->create_rollout(draft, false, "alice");
  ASSERT_TRUE(created) << created.error().describe();
  auto first = step(created->id, 1000);
  ASSERT_TRUE(first);
  deliver(first->rollout, "c", "succeeded");
  auto second = step(created->id, 1001);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->dispatched, (std::vector<std::string>{"a", "b"}));
  deliver(second->rollout, "a", "failed");
  ASSERT_TRUE(store->record_order(second->rollout.hosts[2].target_id, "o-b", "{}", 1000));
  auto stopped = step(created->id, 1002);
  ASSERT_TRUE(stopped) << stopped.error().describe();
  EXPECT_EQ(stopped->rollout.state, "failed");
  EXPECT_EQ(stopped->rollout.rollback, "ordered");
  EXPECT_EQ(stopped->dispatched, std::vector<std::string>{"c"});
  auto deliveries = store->open_deliveries("c");
  ASSERT_TRUE(deliveries);
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].deployment.action, "rollback");
  EXPECT_EQ((*deliveries)[0].deployment.rollback_of, created->deployment_id);
  auto loaded = store->get_rollout(created->id);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->hosts[0].rollback_target_id, (*deliveries)[0].target.id);
  EXPECT_EQ((*loaded)->hosts[0].rollback_status, "pending");
  EXPECT_EQ((*loaded)->hosts[1].rollback_target_id, 0);  // a's own install failed
  // Still active: b's order is out. Its success is rolled back too, in its own deployment.
  EXPECT_EQ(*store->active_rollouts(), std::vector<std::int64_t>{created->id});
  finish_target(second->rollout.hosts[2].target_id, "succeeded");
  auto late = step(created->id, 1003);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->dispatched, std::vector<std::string>{"b"});
  EXPECT_NE(late->rollout.hosts[2].rollback_target_id, 0);
  EXPECT_TRUE(store->active_rollouts()->empty());
  // Nothing is ordered twice.
  auto idle = step(created->id, 1004);
  ASSERT_TRUE(idle);
  EXPECT_TRUE(idle->dispatched.empty());
  auto rollbacks = store->open_deliveries("b");
  ASSERT_TRUE(rollbacks);
  EXPECT_EQ(rollbacks->size(), 1u);
}

// Revoking the version stops its rollout at the next step; a retry and a new rollout are
// refused.
TEST_P(SqlStoreRolloutTest, OnlyAnAuthorizedPackageIsRolledOut) {
  auto created = store->create_rollout(draft, false, "alice");
  ASSERT_TRUE(created) << created.error().describe();
  ASSERT_TRUE(step(created->id, 1000));
  ASSERT_TRUE(store->transition_package(package_id, "revoke", "broken", "alice"));
  auto stopped = step(created->id, 1001);
  ASSERT_TRUE(stopped) << stopped.error().describe();
  EXPECT_EQ(stopped->rollout.state, "failed");
  EXPECT_EQ(stopped->rollout.hosts[1].error_code, "package.revoked");
  RolloutChange retry = [](RolloutRecord& x) { return rollout::retry_failed(x, 1002); };
  auto retried = store->update_rollout(created->id, retry, "alice");
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().code, "package.revoked");
  EXPECT_EQ((*store->get_rollout(created->id))->state, "failed");  // the refusal changed nothing
  auto refused = store->create_rollout(draft, false, "alice");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "package.revoked");
  auto listed = store->list_rollouts(draft.release_id, Page{10, 0});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreRolloutTest);

}  // namespace
}  // namespace relman::controller
