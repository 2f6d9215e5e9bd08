// The rollout engine's decisions on an in-memory rollout: waves in order, max_concurrent,
// thresholds, dependencies, windows, the deadline, and the API actions' allowed states.
#include <gtest/gtest.h>

#include "controller/rollout/engine.hpp"

namespace relman::controller::rollout {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

Schedule no_windows() { return *Schedule::make({}, {}); }
GroupsOf no_groups() {
  return [](const std::string&) { return std::vector<std::string>{}; };
}

// Two waves: a canary of one host, then a batch of three with max_concurrent 2 allowing one
// failure.
RolloutRecord two_waves() {
  RolloutRecord r;
  r.id = 1;
  r.deadline = kNow + 3600;
  r.waves = {
      {.index = 0, .kind = "canary", .max_concurrent = 1, .min_succeeded = 1, .max_failed = 0},
      {.index = 1, .kind = "batch", .max_concurrent = 2, .min_succeeded = 2, .max_failed = 1}};
  auto add = [&](std::string id, std::int64_t wave, std::vector<std::string> after = {}) {
    RolloutHost h;
    h.host_id = std::move(id);
    h.wave = wave;
    h.position = static_cast<std::int64_t>(r.hosts.size());
    h.after = std::move(after);
    r.hosts.push_back(std::move(h));
  };
  add("c", 0);
  add("a", 1);
  add("b", 1);
  add("d", 1, {"a"});
  return r;
}

RolloutHost& host(RolloutRecord& r, const std::string& id) {
  for (auto& h : r.hosts) {
    if (h.host_id == id) return h;
  }
  throw std::runtime_error("no host " + id);
}

// What the store does after a step: dispatched hosts have a pending target.
void written(RolloutRecord& r) {
  for (auto& h : r.hosts) h.dispatch = h.cancel_target = false;
}

void finish(RolloutRecord& r, const std::string& id, bool ok) {
  host(r, id).target_status = ok ? "succeeded" : "failed";
  if (!ok) host(r, id).target_error_code = "install.health_check_failed";
}

TEST(RolloutEngine, RunsTheCanaryFirstThenTheBatchWithinMaxConcurrent) {
  auto r = two_waves();
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  EXPECT_EQ(r.waves[0].state, "running");
  EXPECT_TRUE(host(r, "c").dispatch);
  EXPECT_EQ(host(r, "a").state, "waiting");
  written(r);
  step(r, s, no_groups(), kNow + 1);  // nothing finished: nothing new
  EXPECT_EQ(host(r, "a").state, "waiting");
  finish(r, "c", true);
  step(r, s, no_groups(), kNow + 2);
  EXPECT_EQ(host(r, "c").state, "succeeded");
  EXPECT_EQ(r.waves[0].state, "succeeded");
  EXPECT_EQ(r.waves[1].state, "running");
  EXPECT_TRUE(host(r, "a").dispatch);
  EXPECT_TRUE(host(r, "b").dispatch);
  EXPECT_EQ(host(r, "d").state, "waiting");  // max_concurrent 2, and it depends on a
  written(r);
  finish(r, "b", true);
  step(r, s, no_groups(), kNow + 3);
  EXPECT_EQ(host(r, "d").state, "waiting");  // a has not succeeded yet
  finish(r, "a", true);
  step(r, s, no_groups(), kNow + 4);
  EXPECT_TRUE(host(r, "d").dispatch);
  EXPECT_EQ(host(r, "d").attempts, 1);
  written(r);
  finish(r, "d", true);
  auto events = step(r, s, no_groups(), kNow + 5);
  EXPECT_EQ(r.state, "succeeded");
  EXPECT_EQ(events.back().action, "rollout.succeeded");
}

TEST(RolloutEngine, AFailedCanaryStopsTheRolloutWithNothingToRollBack) {
  auto r = two_waves();
  r.failure_policy = "stop_and_rollback";
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  finish(r, "c", false);
  auto events = step(r, s, no_groups(), kNow + 1);
  EXPECT_EQ(r.state, "failed");
  EXPECT_EQ(r.waves[0].state, "failed");
  EXPECT_EQ(r.waves[1].state, "skipped");
  EXPECT_EQ(host(r, "c").error_code, "install.health_check_failed");
  EXPECT_EQ(host(r, "a").state, "skipped");
  EXPECT_FALSE(host(r, "a").dispatch);
  EXPECT_EQ(r.rollback, "ordered");
  for (const auto& h : r.hosts) EXPECT_FALSE(h.order_rollback) << h.host_id;  // none changed
  for (const auto& e : events) EXPECT_NE(e.action, "rollout.rollback_ordered");
}

// The canary succeeds; in the batch "a" fails and takes "d" (which depends on it) along: two
// failures where one is allowed. "c" (done) is rolled back at once; "b", whose order had
// reached it, is rolled back when its install succeeds.
TEST(RolloutEngine, StopAndRollbackOrdersRollbacksOfEveryHostItChanged) {
  auto r = two_waves();
  r.failure_policy = "stop_and_rollback";
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  finish(r, "c", true);
  step(r, s, no_groups(), kNow + 1);
  written(r);
  host(r, "b").target_status = "in_progress";
  finish(r, "a", false);
  auto events = step(r, s, no_groups(), kNow + 2);
  EXPECT_EQ(r.state, "failed");
  EXPECT_EQ(r.rollback, "ordered");
  EXPECT_TRUE(host(r, "c").order_rollback);
  EXPECT_FALSE(host(r, "a").order_rollback);  // its own install failed (the agent rolled back)
  EXPECT_FALSE(host(r, "b").order_rollback);  // not finished yet
  EXPECT_EQ(host(r, "b").state, "dispatched");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "rollout.rollback_ordered");
  EXPECT_EQ(events.back().detail["hosts"], nlohmann::json::array({"c"}));
  // The store wrote the rollback target.
  written(r);
  host(r, "c").order_rollback = false;
  host(r, "c").rollback_target_id = 77;
  events = step(r, s, no_groups(), kNow + 3);
  EXPECT_TRUE(events.empty());  // nothing new while b installs
  finish(r, "b", true);
  events = step(r, s, no_groups(), kNow + 4);
  EXPECT_EQ(host(r, "b").state, "succeeded");
  EXPECT_TRUE(host(r, "b").order_rollback);
  EXPECT_FALSE(host(r, "c").order_rollback);  // ordered once
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].action, "rollout.rollback_ordered");
  EXPECT_EQ(events[1].detail["hosts"], nlohmann::json::array({"b"}));
}

TEST(RolloutEngine, RetryFailedAfterARollbackRunsTheRolledBackHostsAgain) {
  auto r = two_waves();
  r.failure_policy = "stop_and_rollback";
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  finish(r, "c", true);
  step(r, s, no_groups(), kNow + 1);
  written(r);
  finish(r, "a", false);
  finish(r, "b", false);
  step(r, s, no_groups(), kNow + 2);
  ASSERT_TRUE(host(r, "c").order_rollback);
  written(r);
  host(r, "c").order_rollback = false;
  host(r, "c").rollback_target_id = 77;
  ASSERT_TRUE(retry_failed(r, kNow + 3).has_value());
  EXPECT_EQ(r.rollback, "");
  EXPECT_EQ(host(r, "c").state, "waiting");
  EXPECT_EQ(host(r, "c").rollback_target_id, 0);
  EXPECT_EQ(r.waves[0].state, "waiting");  // the canary runs again, first
  step(r, s, no_groups(), kNow + 4);
  EXPECT_TRUE(host(r, "c").dispatch);
  EXPECT_FALSE(host(r, "a").dispatch);
}

TEST(RolloutEngine, ABatchToleratesItsErrorThresholdAndFailsADependentHost) {
  auto r = two_waves();
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  finish(r, "c", true);
  step(r, s, no_groups(), kNow + 1);
  written(r);
  finish(r, "a", false);  // one failure allowed; d depends on a and fails too: two
  finish(r, "b", true);
  step(r, s, no_groups(), kNow + 2);
  EXPECT_EQ(host(r, "d").error_code, "rollout.dependency_failed");
  EXPECT_EQ(r.state, "failed");
  EXPECT_EQ(r.waves[1].state, "failed");
  EXPECT_EQ(r.rollback, "");  // policy stop
}

TEST(RolloutEngine, AHostWaitsForItsWindowAndAnUndeliveredOrderFailsWhenItCloses) {
  auto r = two_waves();
  r.deadline = kNow + 3 * 86400;
  // A daily window for "c" from 00:00 to 01:00 UTC; kNow is 08:00 UTC.
  MaintenanceWindow w{"night", 127, 0, 60, "UTC", {"c"}, {}};
  auto s = *Schedule::make({w}, {});
  step(r, s, no_groups(), kNow);
  EXPECT_EQ(host(r, "c").state, "waiting");
  const std::int64_t midnight = (kNow / 86400 + 1) * 86400;
  step(r, s, no_groups(), midnight + 10);
  EXPECT_TRUE(host(r, "c").dispatch);
  written(r);
  step(r, s, no_groups(), midnight + 3600);  // the host never connected: its window closed
  EXPECT_EQ(host(r, "c").state, "failed");
  EXPECT_EQ(host(r, "c").error_code, "rollout.window_closed");
  EXPECT_TRUE(host(r, "c").cancel_target);
  EXPECT_EQ(r.state, "failed");
}

TEST(RolloutEngine, TheDeadlineFailsHostsNotStartedAndOrdersNotDelivered) {
  auto r = two_waves();
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  step(r, s, no_groups(), r.deadline);
  EXPECT_EQ(host(r, "c").error_code, "rollout.deadline_passed");
  EXPECT_TRUE(host(r, "c").cancel_target);
  EXPECT_EQ(r.state, "failed");
}

TEST(RolloutEngine, ARevokedPackageStopsTheRollout) {
  auto r = two_waves();
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  r.package_status = "revoked";
  step(r, s, no_groups(), kNow + 1);
  EXPECT_EQ(r.state, "failed");
  EXPECT_EQ(r.reason, "the package version was revoked; no further host gets it");
  EXPECT_EQ(host(r, "a").state, "skipped");
  EXPECT_EQ(host(r, "a").error_code, "package.revoked");
  EXPECT_TRUE(host(r, "c").cancel_target);
}

TEST(RolloutEngine, ActionsAreRefusedInStatesThatDoNotAllowThem) {
  auto r = two_waves();
  EXPECT_FALSE(resume(r, kNow).has_value());
  EXPECT_FALSE(retry_failed(r, kNow).has_value());
  ASSERT_TRUE(pause(r, kNow).has_value());
  auto again = pause(r, kNow);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "rollout.illegal_transition");
  EXPECT_EQ(again.error().context, "resume,abort");
  auto s = no_windows();
  step(r, s, no_groups(), kNow);  // paused: nothing dispatched
  EXPECT_EQ(host(r, "c").state, "waiting");
  ASSERT_TRUE(resume(r, kNow).has_value());
  step(r, s, no_groups(), kNow);
  written(r);
  ASSERT_TRUE(abort(r, kNow).has_value());
  EXPECT_EQ(r.state, "aborted");
  EXPECT_TRUE(host(r, "c").cancel_target);  // never sent: cancelled
  EXPECT_EQ(host(r, "a").state, "skipped");
  EXPECT_FALSE(abort(r, kNow).has_value());
  EXPECT_FALSE(retry_failed(r, kNow).has_value());
}

TEST(RolloutEngine, RetryFailedRunsTheFailedWaveAgainInANewDeployment) {
  auto r = two_waves();
  auto s = no_windows();
  step(r, s, no_groups(), kNow);
  written(r);
  finish(r, "c", false);
  step(r, s, no_groups(), kNow + 1);
  ASSERT_EQ(r.state, "failed");
  ASSERT_TRUE(retry_failed(r, kNow + 2).has_value());
  EXPECT_TRUE(r.new_deployment);
  EXPECT_EQ(r.state, "running");
  EXPECT_EQ(host(r, "c").state, "waiting");
  EXPECT_EQ(host(r, "a").state, "waiting");
  step(r, s, no_groups(), kNow + 3);
  EXPECT_TRUE(host(r, "c").dispatch);
  EXPECT_EQ(host(r, "c").attempts, 2);
}

}  // namespace
}  // namespace relman::controller::rollout
