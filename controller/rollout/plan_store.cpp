#include "controller/rollout/plan_store.hpp"

#include "controller/query/host_document.hpp"

namespace relman::controller::rollout {

Result<Plan> plan_known_hosts(Store& store, const PlanRequest& request, std::int64_t now) {
  TargetSelector selector(request.target);
  constexpr std::int64_t kPage = 500;
  for (std::int64_t offset = 0;; offset += kPage) {
    if (offset >= kMaxPlanHosts) {
      return fail("plan.too_many_hosts",
                  "the store holds more than " + std::to_string(kMaxPlanHosts) +
                      " hosts; a plan reads at most that many",
                  "target");
    }
    RELMAN_TRY(hosts, store.list_hosts(Page{kPage, offset}, HostQuery{}));
    for (auto& h : hosts) {
      PlanHost host{h.agent_id, groups_of(request, h.agent_id)};
      auto inventory = nlohmann::json::parse(h.inventory_json, nullptr, false);
      selector.offer(host, query::host_document(host.id, host.groups, std::move(inventory)));
    }
    if (std::ssize(hosts) < kPage) break;
  }
  RELMAN_TRY(targets, selector.finish());
  RELMAN_TRY(schedule, request_schedule(request));
  return make_plan(std::move(targets), request.dependencies, request.policy, schedule, now);
}

}  // namespace relman::controller::rollout
