// The deployment planner: orders the target hosts by their depends_on relationships, splits
// them into waves (a canary, then batches) and gives each host its earliest allowed start from
// the maintenance and blackout windows. Pure: no store, no clock (the caller passes `now`).
// The planning rules are in docs/architecture.md ("Planner"); the API shows the result as a dry
// run and the rollout engine executes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/rollout/dependency_order.hpp"
#include "controller/rollout/target.hpp"
#include "controller/rollout/windows.hpp"
#include "protocol/error.hpp"

namespace relman::controller::rollout {

struct WaveSize {
  enum class Unit { hosts, percent };
  Unit unit = Unit::percent;
  std::int64_t value = 100;  // hosts: >= 1; percent: 1..100 of all target hosts, rounded up
};

struct WaveRules {
  std::optional<std::int64_t> max_concurrent;    // >= 1; unset: the whole wave at once
  std::int64_t success_threshold_percent = 100;  // 1..100: a finished wave succeeded if reached
  std::int64_t error_threshold_percent = 0;      // 0..100: more failures than this stop it
};

struct WavePolicy {
  // The canary wave: `canary_size` hosts chosen by the planner, or exactly `canary_hosts`, or
  // no canary wave when both are empty (setting both is refused).
  std::optional<WaveSize> canary_size;
  std::vector<std::string> canary_hosts;
  WaveRules canary_rules;
  WaveSize batch_size;
  WaveRules batch_rules;
};

struct PlannedHost {
  std::string id;
  std::vector<std::string> after;   // target hosts that must be deployed first, sorted
  std::int64_t tier = 0;            // 0: depends on no target host; else 1 + the highest of `after`
  std::int64_t earliest_start = 0;  // first time >= its wave's earliest start (or now, for the
                                    // first wave) at which the windows allow it to start
  std::int64_t allowed_until = 0;   // end of that allowed interval (cut at the horizon)
};

enum class WaveKind { canary, batch };

struct Wave {
  WaveKind kind = WaveKind::batch;
  std::vector<PlannedHost> hosts;   // sorted by (tier, id)
  std::int64_t max_concurrent = 0;  // hosts in progress at once
  std::int64_t min_succeeded = 0;   // the finished wave succeeded iff at least this many did
  std::int64_t max_failed = 0;      // the wave fails as soon as more than this many failed
  std::int64_t earliest_start = 0;  // the earliest of its hosts; never before the wave before
};

struct PlanWarning {
  std::string code;
  std::string message;
};

struct Plan {
  std::int64_t planned_at = 0;
  std::int64_t host_count = 0;
  std::vector<Wave> waves;
  std::vector<PlanWarning> warnings;  // e.g. plan.canary_reduced
};

// plan.invalid_policy with the field as context ("policy.canary.percent", ...).
Result<void> validate_policy(const WavePolicy& policy);

// Hosts in `targets` must be unique (plan.duplicate_host); an empty list is plan.empty_target.
// plan.dependency_cycle when depends_on relationships among the targets (or through hosts
// between them) form a cycle: its context names the hosts in order, "a -> b -> a".
// plan.invalid_policy for a bad policy or a canary host that is not a target or depends on
// one; plan.no_allowed_time when the windows never let a host start within the horizon.
Result<Plan> make_plan(std::vector<PlanHost> targets, const std::vector<Dependency>& dependencies,
                       const WavePolicy& policy, const Schedule& schedule, std::int64_t now);

std::string_view wave_kind_name(WaveKind kind);  // "canary", "batch"

// {"planned_at", "host_count", "waves": [{"index", "kind", "max_concurrent", "min_succeeded",
//  "max_failed", "earliest_start", "hosts": [{"id", "after", "tier", "earliest_start",
//  "allowed_until"}]}], "warnings": [{"code", "message"}]}
nlohmann::json to_json(const Plan& plan);

}  // namespace relman::controller::rollout
