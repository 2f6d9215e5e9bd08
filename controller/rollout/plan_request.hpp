// The body of a plan request as POST /releases/{id}/plan accepts it (and, later, deployment
// creation):
//   {"target": {"query": "os.id == \"debian\"", "hosts": ["web-1"]},
//    "policy": {"canary": {"count": 2 | "percent": 5 | "hosts": [...], "max_concurrent": 1,
//                          "success_threshold_percent": 100, "error_threshold_percent": 0},
//               "batches": {"count": 10 | "percent": 25, ...same rules...}},
//    "windows": {"maintenance": [{"name", "days": ["mon", ...], "start": "22:00",
//                                 "end": "04:00", "time_zone": "Europe/Berlin",
//                                 "hosts": [...], "groups": [...]}],
//                "blackouts": [{"name", "start": unix seconds, "end": unix seconds,
//                               "hosts": [...], "groups": [...]}]},
//    "dependencies": [{"host": "app-1", "depends_on": "db-1"}],
//    "groups": [{"name": "berlin", "hosts": ["web-1", "db-1"]}]}
// `dependencies` and `groups` add to what the CMDB says (plan_store.hpp: depends_on between
// host CIs or the CIs that run on them; a host's groups are the services its CI is part_of).
// Strict: unknown fields are refused, and every error names its field ("policy.batches.percent",
// "windows.maintenance[0].time_zone", "target.query"). docs/architecture.md ("Planner") has the
// meaning of each field.
#pragma once

#include <map>

#include <nlohmann/json.hpp>

#include "controller/rollout/plan.hpp"
#include "controller/rollout/target.hpp"
#include "controller/rollout/windows.hpp"
#include "protocol/error.hpp"

namespace relman::controller::rollout {

inline constexpr std::size_t kMaxRequestHosts = 10000;  // target.hosts, canary.hosts, scopes
inline constexpr std::size_t kMaxRequestWindows = 256;  // of each kind
inline constexpr std::size_t kMaxTimeZoneLength = 64;

inline constexpr std::size_t kMaxRequestDependencies = 100000;
inline constexpr std::size_t kMaxRequestGroups = 1000;

struct HostGroup {
  std::string name;
  std::vector<std::string> hosts;
};

struct PlanRequest {
  PlanTarget target;
  WavePolicy policy;
  std::vector<MaintenanceWindow> maintenance;
  std::vector<BlackoutWindow> blackouts;
  std::vector<Dependency> dependencies;
  std::vector<HostGroup> groups;
};

// The groups `host` belongs to by `request.groups`, sorted.
std::vector<std::string> groups_of(const PlanRequest& request, const std::string& host);
// The same for every host at once (host -> its groups, sorted and unique): one pass over the
// groups instead of one per host, for callers that look up many hosts.
std::map<std::string, std::vector<std::string>> groups_by_host(const PlanRequest& request);

// Reads and fully validates a request: field types and ranges (protocol.* codes), the query
// (query.* codes, context "target.query"), the policy (plan.invalid_policy) and the windows
// (plan.invalid_window, unknown time zones included). A target needs a query or hosts.
// `caller_fields` are top-level fields the caller reads itself (not refused as unknown).
Result<PlanRequest> plan_request_from_json(
    const nlohmann::json& body, std::initializer_list<std::string_view> caller_fields = {});

// The request as JSON again, in the form plan_request_from_json reads, defaults filled in (the
// dry run shows it; the rollout engine will store it with a
// deployment); the query keeps the user's text.
nlohmann::json to_json(const PlanRequest& request);

// The request's windows as a Schedule (cannot fail for a request that was read by
// plan_request_from_json).
Result<Schedule> request_schedule(const PlanRequest& request);

}  // namespace relman::controller::rollout
