// A plan request planned against the hosts the store knows: the target's query is evaluated
// on each host's document (query::host_document from its last inventory report), explicit
// hosts must be known. Each host's groups and the depends_on order come from the CMDB
// (cmdb::HostFacts: the CIs a host CI is part_of; depends_on between host CIs or the CIs that
// run on them) together with what the request adds (`groups`, `dependencies`).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "controller/rollout/plan.hpp"
#include "controller/rollout/plan_request.hpp"
#include "controller/store/store.hpp"

namespace relman::controller::rollout {

inline constexpr std::int64_t kMaxPlanHosts = 100000;  // hosts read from the store per plan
// Impact analysis runs from at most this many target hosts (a warning says when cut short).
inline constexpr std::size_t kMaxImpactHosts = 1000;

// Store errors as they come; plan.unknown_host (context "target.hosts[i]"), plan.empty_target,
// plan.too_many_hosts, plan.too_many_groups, and everything make_plan() refuses. `effective`,
// when given, receives the request as planned: its groups are the request's and the CMDB's,
// cut to the target hosts (what a rollout stores, so that its windows apply at dispatch as
// they did in the plan).
Result<Plan> plan_known_hosts(Store& store, const PlanRequest& request, std::int64_t now,
                              PlanRequest* effective = nullptr);

// The services a deployment to the plan's hosts affects, by the CMDB's impact analysis from
// each host's CI: [{"ci": {id, class, name}, "hosts": [agent ids], "explanation": "<one
// shortest path as text>"}], by CI id. Hosts without a host CI affect nothing. When the plan
// has more than kMaxImpactHosts hosts, only the first ones are analysed and `plan` gets the
// warning plan.impact_truncated.
Result<nlohmann::json> affected_services(Store& store, Plan& plan);

}  // namespace relman::controller::rollout
