#include "controller/rollout/plan.hpp"

#include <algorithm>
#include <numeric>
#include <set>

namespace relman::controller::rollout {
namespace {

constexpr std::size_t kMaxNamedHosts = 10;  // hosts listed in one error message

Error policy_error(const std::string& field, const std::string& message) {
  return Error{"plan.invalid_policy", message, "policy." + field};
}

Result<void> validate_size(const WaveSize& size, const std::string& where) {
  if (size.unit == WaveSize::Unit::hosts && size.value < 1) {
    return fail(policy_error(where + ".hosts", "a wave has at least 1 host"));
  }
  if (size.unit == WaveSize::Unit::percent && (size.value < 1 || size.value > 100)) {
    return fail(policy_error(where + ".percent", "a wave's percentage is between 1 and 100"));
  }
  return ok();
}

Result<void> validate_rules(const WaveRules& rules, const std::string& where) {
  if (rules.max_concurrent && *rules.max_concurrent < 1) {
    return fail(policy_error(where + ".max_concurrent", "at least 1 host must run at a time"));
  }
  if (rules.success_threshold_percent < 1 || rules.success_threshold_percent > 100) {
    return fail(policy_error(where + ".success_threshold_percent",
                             "the success threshold is between 1 and 100 percent"));
  }
  if (rules.error_threshold_percent < 0 || rules.error_threshold_percent > 100) {
    return fail(policy_error(where + ".error_threshold_percent",
                             "the error threshold is between 0 and 100 percent"));
  }
  return ok();
}

// ceil(total * percent / 100), at least 1; or the host count.
std::int64_t resolve(const WaveSize& size, std::int64_t total) {
  if (size.unit == WaveSize::Unit::hosts) return size.value;
  return std::max<std::int64_t>(1, (total * size.value + 99) / 100);
}

Wave make_wave(WaveKind kind, std::vector<PlannedHost> hosts, const WaveRules& rules) {
  Wave w;
  w.kind = kind;
  const auto n = static_cast<std::int64_t>(hosts.size());
  w.max_concurrent = std::min(n, rules.max_concurrent.value_or(n));
  w.min_succeeded = (n * rules.success_threshold_percent + 99) / 100;
  w.max_failed = n * rules.error_threshold_percent / 100;
  w.hosts = std::move(hosts);
  return w;
}

std::string name_hosts(const std::vector<std::string>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size() && i < kMaxNamedHosts; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > kMaxNamedHosts)
    s += " and " + std::to_string(ids.size() - kMaxNamedHosts) + " more";
  return s;
}

// Waves run in order, so a wave cannot start before the one before it: each host's earliest
// start is the first allowed time at or after the previous wave's earliest start, and a wave
// starts when its first host may.
Result<void> schedule_waves(Plan& plan, const std::vector<PlanHost>& targets,
                            const Schedule& schedule, std::int64_t now) {
  std::vector<std::string> never;
  std::int64_t cursor = now;
  for (auto& wave : plan.waves) {
    std::optional<std::int64_t> first;
    for (auto& h : wave.hosts) {
      auto it =
          std::lower_bound(targets.begin(), targets.end(), h.id,
                           [](const PlanHost& t, const std::string& id) { return t.id < id; });
      auto window = schedule.next_allowed(HostRef{it->id, it->groups}, cursor);
      if (!window) {
        never.push_back(h.id);
        continue;
      }
      h.earliest_start = window->start;
      h.allowed_until = window->end;
      first = std::min(first.value_or(window->start), window->start);
    }
    if (!first) break;  // nothing in this wave can start: later waves cannot either
    wave.earliest_start = *first;
    cursor = *first;
  }
  if (!never.empty()) {
    std::sort(never.begin(), never.end());
    return fail("plan.no_allowed_time",
                "the maintenance and blackout windows let these hosts start at no time in the "
                "366 days after their wave may start: " +
                    name_hosts(never),
                never.front());
  }
  return ok();
}

}  // namespace

Result<void> validate_policy(const WavePolicy& policy) {
  if (policy.canary_size && !policy.canary_hosts.empty()) {
    return fail(policy_error("canary", "give the canary a size or a list of hosts, not both"));
  }
  if (policy.canary_size) RELMAN_CHECK(validate_size(*policy.canary_size, "canary"));
  RELMAN_CHECK(validate_rules(policy.canary_rules, "canary"));
  RELMAN_CHECK(validate_size(policy.batch_size, "batches"));
  return validate_rules(policy.batch_rules, "batches");
}

std::string_view wave_kind_name(WaveKind kind) {
  return kind == WaveKind::canary ? "canary" : "batch";
}

Result<Plan> make_plan(std::vector<PlanHost> targets, const std::vector<Dependency>& dependencies,
                       const WavePolicy& policy, const Schedule& schedule, std::int64_t now) {
  RELMAN_CHECK(validate_policy(policy));
  if (targets.empty()) return fail("plan.empty_target", "the target selects no host", "target");
  std::sort(targets.begin(), targets.end(),
            [](const PlanHost& a, const PlanHost& b) { return a.id < b.id; });
  std::vector<std::string> ids;
  for (const auto& t : targets) ids.push_back(t.id);
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return fail("plan.duplicate_host", "host " + *dup + " was given twice", *dup);
  }
  RELMAN_TRY(order, order_by_dependencies(ids, dependencies));
  const auto total = static_cast<std::int64_t>(targets.size());

  Plan plan;
  plan.planned_at = now;
  plan.host_count = total;

  // Every host's entry; start times are set once the waves are known.
  std::vector<PlannedHost> planned(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto& p = planned[i];
    p.id = targets[i].id;
    p.tier = order.tier[i];
    for (std::size_t a : order.after[i]) p.after.push_back(ids[a]);
  }

  // Canary: explicit hosts, or the first hosts by id among those that depend on no target.
  std::vector<bool> in_canary(targets.size(), false);
  std::vector<PlannedHost> canary;
  for (std::size_t i = 0; i < policy.canary_hosts.size(); ++i) {
    const auto& id = policy.canary_hosts[i];
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    const std::string field = "canary.hosts[" + std::to_string(i) + "]";
    if (it == ids.end() || *it != id) {
      return fail(policy_error(field, "canary host " + id + " is not one of the targets"));
    }
    auto index = static_cast<std::size_t>(it - ids.begin());
    if (!planned[index].after.empty()) {
      return fail(policy_error(field, "canary host " + id + " depends on " +
                                          name_hosts(planned[index].after) +
                                          ", deployed after the canary; choose a host that "
                                          "depends on no target"));
    }
    if (!in_canary[index]) canary.push_back(planned[index]);
    in_canary[index] = true;
  }
  if (policy.canary_size) {
    const std::int64_t wanted = std::min(resolve(*policy.canary_size, total), total);
    for (std::size_t i = 0; i < targets.size() && std::ssize(canary) < wanted; ++i) {
      if (planned[i].tier != 0) continue;
      canary.push_back(planned[i]);
      in_canary[i] = true;
    }
    if (std::ssize(canary) < wanted) {
      plan.warnings.push_back(
          {"plan.canary_reduced", "the canary has " + std::to_string(canary.size()) +
                                      " hosts instead of " + std::to_string(wanted) +
                                      ": only hosts that depend on no target can go first"});
    }
  }
  if (!canary.empty()) {
    std::sort(canary.begin(), canary.end(),
              [](const PlannedHost& a, const PlannedHost& b) { return a.id < b.id; });
    plan.waves.push_back(make_wave(WaveKind::canary, std::move(canary), policy.canary_rules));
  }

  // Batches: by (tier, id); a host starts a new batch when the batch is full or holds one of
  // the hosts it depends on.
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!in_canary[i]) rest.push_back(i);
  }
  std::stable_sort(rest.begin(), rest.end(),
                   [&](std::size_t a, std::size_t b) { return planned[a].tier < planned[b].tier; });
  const std::int64_t batch = resolve(policy.batch_size, total);
  std::vector<PlannedHost> current;
  std::set<std::string> current_ids;
  for (std::size_t i : rest) {
    const auto& p = planned[i];
    bool waits = std::any_of(p.after.begin(), p.after.end(),
                             [&](const std::string& a) { return current_ids.contains(a); });
    if (std::ssize(current) == batch || waits) {
      plan.waves.push_back(make_wave(WaveKind::batch, std::move(current), policy.batch_rules));
      current.clear();
      current_ids.clear();
    }
    current.push_back(p);
    current_ids.insert(p.id);
  }
  if (!current.empty()) {
    plan.waves.push_back(make_wave(WaveKind::batch, std::move(current), policy.batch_rules));
  }
  RELMAN_CHECK(schedule_waves(plan, targets, schedule, now));
  return plan;
}

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json waves = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.waves.size(); ++i) {
    const auto& w = plan.waves[i];
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& h : w.hosts) {
      hosts.push_back({{"id", h.id},
                       {"after", h.after},
                       {"tier", h.tier},
                       {"earliest_start", h.earliest_start},
                       {"allowed_until", h.allowed_until}});
    }
    waves.push_back({{"index", i},
                     {"kind", wave_kind_name(w.kind)},
                     {"max_concurrent", w.max_concurrent},
                     {"min_succeeded", w.min_succeeded},
                     {"max_failed", w.max_failed},
                     {"earliest_start", w.earliest_start},
                     {"hosts", std::move(hosts)}});
  }
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& w : plan.warnings)
    warnings.push_back({{"code", w.code}, {"message", w.message}});
  return {{"planned_at", plan.planned_at},
          {"host_count", plan.host_count},
          {"waves", std::move(waves)},
          {"warnings", std::move(warnings)}};
}

}  // namespace relman::controller::rollout
