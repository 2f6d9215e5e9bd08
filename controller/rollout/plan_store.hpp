// A plan request planned against the hosts the store knows: the target's query is evaluated
// on each host's document (query::host_document from its last inventory report), explicit
// hosts must be known, and each host's groups come from the request until the CMDB has them.
#pragma once

#include <cstdint>

#include "controller/rollout/plan.hpp"
#include "controller/rollout/plan_request.hpp"
#include "controller/store/store.hpp"

namespace relman::controller::rollout {

inline constexpr std::int64_t kMaxPlanHosts = 100000;  // hosts read from the store per plan

// Store errors as they come; plan.unknown_host (context "target.hosts[i]"), plan.empty_target,
// plan.too_many_hosts, and everything make_plan() refuses.
Result<Plan> plan_known_hosts(Store& store, const PlanRequest& request, std::int64_t now);

}  // namespace relman::controller::rollout
