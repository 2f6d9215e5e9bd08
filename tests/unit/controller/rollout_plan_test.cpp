#include "controller/rollout/plan.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace relman::controller::rollout {
namespace {

constexpr std::int64_t kNow = 1768392000;  // 2026-01-14T12:00:00Z, a Wednesday

std::vector<PlanHost> hosts(int n, const std::string& prefix = "h") {
  std::vector<PlanHost> out;
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%s%02d", prefix.c_str(), i);
    out.push_back({name, {}});
  }
  return out;
}

Schedule no_windows() { return *Schedule::make({}, {}); }

std::vector<std::string> ids(const Wave& w) {
  std::vector<std::string> out;
  for (const auto& h : w.hosts) out.push_back(h.id);
  return out;
}

WavePolicy canary_then_batches(WaveSize canary, WaveSize batch) {
  WavePolicy p;
  p.canary_size = canary;
  p.batch_size = batch;
  return p;
}

TEST(Plan, ACanaryThenBatchesOfAPercentageOfAllHosts) {
  auto policy = canary_then_batches({WaveSize::Unit::hosts, 2}, {WaveSize::Unit::percent, 50});
  auto plan = make_plan(hosts(10), {}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->waves.size(), 3u);
  EXPECT_EQ(plan->waves[0].kind, WaveKind::canary);
  EXPECT_EQ(ids(plan->waves[0]), (std::vector<std::string>{"h00", "h01"}));
  EXPECT_EQ(ids(plan->waves[1]), (std::vector<std::string>{"h02", "h03", "h04", "h05", "h06"}));
  EXPECT_EQ(ids(plan->waves[2]), (std::vector<std::string>{"h07", "h08", "h09"}));
  EXPECT_EQ(plan->waves[2].kind, WaveKind::batch);
  EXPECT_EQ(plan->host_count, 10);
  EXPECT_EQ(plan->planned_at, kNow);
  for (const auto& w : plan->waves) {
    EXPECT_EQ(w.earliest_start, kNow);
    EXPECT_EQ(w.max_concurrent, std::ssize(w.hosts));  // unset: the whole wave at once
  }
  EXPECT_TRUE(plan->warnings.empty());
}

TEST(Plan, ACanaryPercentageRoundsUp) {
  auto policy = canary_then_batches({WaveSize::Unit::percent, 5}, {WaveSize::Unit::hosts, 100});
  auto plan = make_plan(hosts(30), {}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->waves.size(), 2u);
  EXPECT_EQ(plan->waves[0].hosts.size(), 2u);  // 5 % of 30 = 1.5 -> 2
  EXPECT_EQ(plan->waves[1].hosts.size(), 28u);
}

TEST(Plan, WaveThresholdsBecomeHostCounts) {
  WavePolicy policy;
  policy.batch_size = {WaveSize::Unit::hosts, 10};
  policy.batch_rules.max_concurrent = 3;
  policy.batch_rules.success_threshold_percent = 90;
  policy.batch_rules.error_threshold_percent = 15;
  auto plan = make_plan(hosts(15), {}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->waves.size(), 2u);
  EXPECT_EQ(plan->waves[0].max_concurrent, 3);
  EXPECT_EQ(plan->waves[0].min_succeeded, 9);  // 90 % of 10
  EXPECT_EQ(plan->waves[0].max_failed, 1);     // 15 % of 10, rounded down
  EXPECT_EQ(plan->waves[1].min_succeeded, 5);  // 90 % of 5 = 4.5 -> 5
  EXPECT_EQ(plan->waves[1].max_failed, 0);
}

TEST(Plan, DependenciesComeInEarlierWaves) {
  // app-* depend on db-00; web-00 depends on app-00.
  auto targets = hosts(2, "app-");
  targets.push_back({"db-00", {}});
  targets.push_back({"web-00", {}});
  std::vector<Dependency> deps = {{"app-00", "db-00"}, {"app-01", "db-00"}, {"web-00", "app-00"}};
  auto policy = canary_then_batches({WaveSize::Unit::hosts, 3}, {WaveSize::Unit::hosts, 10});
  auto plan = make_plan(targets, deps, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  // Only db-00 depends on no target, so the canary has one host, with a warning.
  ASSERT_EQ(plan->waves.size(), 3u);
  EXPECT_EQ(ids(plan->waves[0]), (std::vector<std::string>{"db-00"}));
  EXPECT_EQ(ids(plan->waves[1]), (std::vector<std::string>{"app-00", "app-01"}));
  EXPECT_EQ(ids(plan->waves[2]), (std::vector<std::string>{"web-00"}));
  EXPECT_EQ(plan->waves[2].hosts[0].after, (std::vector<std::string>{"app-00"}));
  EXPECT_EQ(plan->waves[2].hosts[0].tier, 2);
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_EQ(plan->warnings[0].code, "plan.canary_reduced");
}

TEST(Plan, AHostNeverSharesAWaveWithWhatItDependsOn) {
  // No canary; one big batch would hold both, so the dependent one moves to the next wave.
  WavePolicy policy;
  policy.batch_size = {WaveSize::Unit::percent, 100};
  auto plan = make_plan(hosts(3), {{"h02", "h00"}}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->waves.size(), 2u);
  EXPECT_EQ(ids(plan->waves[0]), (std::vector<std::string>{"h00", "h01"}));
  EXPECT_EQ(ids(plan->waves[1]), (std::vector<std::string>{"h02"}));
}

TEST(Plan, ADependencyCycleIsRefusedWithItsHosts) {
  WavePolicy policy;
  auto plan = make_plan(hosts(3), {{"h00", "h01"}, {"h01", "h02"}, {"h02", "h00"}}, policy,
                        no_windows(), kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.dependency_cycle");
  EXPECT_EQ(plan.error().context, "h00 -> h01 -> h02 -> h00");
}

TEST(Plan, ExplicitCanaryHosts) {
  WavePolicy policy;
  policy.canary_hosts = {"h03", "h01"};
  policy.batch_size = {WaveSize::Unit::hosts, 10};
  auto plan = make_plan(hosts(5), {}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_EQ(ids(plan->waves[0]), (std::vector<std::string>{"h01", "h03"}));
  EXPECT_EQ(ids(plan->waves[1]), (std::vector<std::string>{"h00", "h02", "h04"}));
}

TEST(Plan, RefusesACanaryHostThatIsNotATargetOrDependsOnOne) {
  WavePolicy policy;
  policy.canary_hosts = {"h01", "nope"};
  auto plan = make_plan(hosts(3), {}, policy, no_windows(), kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.invalid_policy");
  EXPECT_EQ(plan.error().context, "policy.canary.hosts[1]");

  policy.canary_hosts = {"h02"};
  plan = make_plan(hosts(3), {{"h02", "h00"}}, policy, no_windows(), kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.invalid_policy");
  EXPECT_EQ(plan.error().context, "policy.canary.hosts[0]");
  EXPECT_NE(plan.error().message.find("h00"), std::string::npos);
}

TEST(Plan, RefusesBadPolicies) {
  struct Case {
    WavePolicy policy;
    std::string context;
  };
  std::vector<Case> cases;
  {
    WavePolicy p = canary_then_batches({WaveSize::Unit::hosts, 1}, {});
    p.canary_hosts = {"h00"};
    cases.push_back({p, "policy.canary"});
  }
  cases.push_back({canary_then_batches({WaveSize::Unit::hosts, 0}, {}), "policy.canary.hosts"});
  cases.push_back(
      {canary_then_batches({WaveSize::Unit::percent, 101}, {}), "policy.canary.percent"});
  {
    WavePolicy p;
    p.batch_size = {WaveSize::Unit::percent, 0};
    cases.push_back({p, "policy.batches.percent"});
  }
  {
    WavePolicy p;
    p.batch_rules.max_concurrent = 0;
    cases.push_back({p, "policy.batches.max_concurrent"});
  }
  {
    WavePolicy p;
    p.batch_rules.success_threshold_percent = 0;
    cases.push_back({p, "policy.batches.success_threshold_percent"});
  }
  {
    WavePolicy p;
    p.canary_rules.error_threshold_percent = 101;
    cases.push_back({p, "policy.canary.error_threshold_percent"});
  }
  for (const auto& c : cases) {
    auto plan = make_plan(hosts(3), {}, c.policy, no_windows(), kNow);
    ASSERT_FALSE(plan.has_value()) << c.context;
    EXPECT_EQ(plan.error().code, "plan.invalid_policy") << c.context;
    EXPECT_EQ(plan.error().context, c.context);
  }
}

TEST(Plan, RefusesEmptyAndDuplicateTargets) {
  WavePolicy policy;
  auto plan = make_plan({}, {}, policy, no_windows(), kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.empty_target");
  auto twice = hosts(2);
  twice.push_back(twice[0]);
  plan = make_plan(twice, {}, policy, no_windows(), kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.duplicate_host");
  EXPECT_EQ(plan.error().context, "h00");
}

MaintenanceWindow utc_window(std::uint8_t days, int start, int end,
                             std::vector<std::string> groups) {
  MaintenanceWindow w;
  w.days = days;
  w.start_minute = start;
  w.end_minute = end;
  w.time_zone = "UTC";
  w.groups = std::move(groups);
  return w;
}

// h00..h02, a canary of one and batches of two; `night` hosts may start 22:00-23:00 UTC only.
Result<Plan> plan_with_night_hosts(const std::vector<std::size_t>& night) {
  auto targets = hosts(3);
  for (auto i : night) targets[i].groups = {"night"};
  auto schedule = Schedule::make({utc_window(127, 22 * 60, 23 * 60, {"night"})}, {});
  EXPECT_TRUE(schedule.has_value());
  auto policy = canary_then_batches({WaveSize::Unit::hosts, 1}, {WaveSize::Unit::hosts, 2});
  return make_plan(targets, {}, policy, *schedule, kNow);
}

TEST(Plan, WavesStartInOrderAndHostsWaitForTheirWindows) {
  // The canary (h00) may start now. h01 is in group "night": it may start from 22:00 UTC. h02
  // has no window, but it is in the same wave as h01, which starts at the canary's time.
  auto plan = plan_with_night_hosts({1});
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  ASSERT_EQ(plan->waves.size(), 2u);
  EXPECT_EQ(plan->waves[0].earliest_start, kNow);
  EXPECT_EQ(plan->waves[1].earliest_start, kNow);
  EXPECT_EQ(plan->waves[1].hosts[0].id, "h01");
  EXPECT_EQ(plan->waves[1].hosts[0].earliest_start, kNow + 10 * 3600);  // 22:00 UTC
  EXPECT_EQ(plan->waves[1].hosts[0].allowed_until, kNow + 11 * 3600);
  EXPECT_EQ(plan->waves[1].hosts[1].earliest_start, kNow);
}

TEST(Plan, ALaterWaveNeverStartsBeforeAnEarlierOne) {
  // Every host is in "night" except h02; the canary (h00) waits for 22:00, and the next wave,
  // whose h02 could start at once, starts no earlier than the canary.
  auto plan = plan_with_night_hosts({0, 1});
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_EQ(plan->waves[0].earliest_start, kNow + 10 * 3600);
  EXPECT_EQ(plan->waves[1].earliest_start, kNow + 10 * 3600);
  for (const auto& h : plan->waves[1].hosts) EXPECT_EQ(h.earliest_start, kNow + 10 * 3600) << h.id;
}

TEST(Plan, RefusesHostsThatCanNeverStart) {
  BlackoutWindow forever;
  forever.start = kNow - 10;
  forever.end = kNow + 400LL * 86400;
  forever.groups = {"frozen"};
  auto targets = hosts(3);
  targets[2].groups = {"frozen"};
  auto schedule = Schedule::make({}, {forever});
  ASSERT_TRUE(schedule.has_value());
  WavePolicy policy;
  auto plan = make_plan(targets, {}, policy, *schedule, kNow);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, "plan.no_allowed_time");
  EXPECT_EQ(plan.error().context, "h02");
}

TEST(Plan, ToJsonShowsWavesHostsAndStartTimes) {
  auto policy = canary_then_batches({WaveSize::Unit::hosts, 1}, {WaveSize::Unit::hosts, 5});
  auto plan = make_plan(hosts(3), {{"h02", "h00"}}, policy, no_windows(), kNow);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  auto j = to_json(*plan);
  EXPECT_EQ(j["planned_at"], kNow);
  EXPECT_EQ(j["host_count"], 3);
  ASSERT_EQ(j["waves"].size(), 2u);
  EXPECT_EQ(j["waves"][0]["kind"], "canary");
  EXPECT_EQ(j["waves"][0]["index"], 0);
  EXPECT_EQ(j["waves"][1]["kind"], "batch");
  EXPECT_EQ(j["waves"][1]["earliest_start"], kNow);
  EXPECT_EQ(j["waves"][1]["hosts"][1]["id"], "h02");
  EXPECT_EQ(j["waves"][1]["hosts"][1]["after"], nlohmann::json::array({"h00"}));
  EXPECT_EQ(j["waves"][1]["hosts"][1]["tier"], 1);
  EXPECT_TRUE(j["warnings"].is_array());
}

}  // namespace
}  // namespace relman::controller::rollout
