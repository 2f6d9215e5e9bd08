#include "controller/rollout/plan_store.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "controller/query/host_document.hpp"
#include "protocol/json_limits.hpp"

namespace relman::controller::rollout {
namespace {
using nlohmann::json;

// The request with the CMDB's groups of the target hosts and its depends_on pairs added.
Result<PlanRequest> merged_request(const PlanRequest& request, const cmdb::HostFacts& facts) {
  PlanRequest merged = request;
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& [host, group] : facts.groups) groups[group].push_back(host);
  for (auto& [name, hosts] : groups) merged.groups.push_back(HostGroup{name, std::move(hosts)});
  if (merged.groups.size() > kMaxRequestGroups) {
    return fail("plan.too_many_groups",
                "the request and the CMDB name more than " + std::to_string(kMaxRequestGroups) +
                    " host groups",
                "groups");
  }
  for (const auto& [host, depends_on] : facts.depends_on) {
    merged.dependencies.push_back(Dependency{host, depends_on});
  }
  return merged;
}

// The host CI as a host query's `cmdb` field.
json cmdb_json(const cmdb::HostCi& ci) {
  return json{{"id", ci.id},
              {"name", ci.name},
              {"stage", ci.stage},
              {"owner_group", ci.owner_group},
              {"criticality", ci.criticality},
              {"attributes", ci.attributes}};
}

std::string explain(const cmdb::AffectedCi& a) {
  std::string out;
  for (const auto& step : a.path) {
    if (!out.empty()) out += ", ";
    out += step.via.from.name + " " + step.via.type + " " + step.via.to.name;
  }
  return out;
}

}  // namespace

Result<Plan> plan_known_hosts(Store& store, const PlanRequest& given, std::int64_t now,
                              PlanRequest* effective) {
  RELMAN_TRY(facts, store.cmdb_host_facts());
  RELMAN_TRY(request, merged_request(given, facts));
  std::map<std::string, json> host_cis;
  for (const auto& [agent, ci] : facts.host_cis) host_cis.emplace(agent, cmdb_json(ci));
  const auto groups = groups_by_host(request);
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
      auto in = groups.find(h.agent_id);
      PlanHost host{h.agent_id, in == groups.end() ? std::vector<std::string>{} : in->second};
      auto inventory = nlohmann::json::parse(h.inventory_json, nullptr, false);
      auto ci = host_cis.find(h.agent_id);
      selector.offer(host,
                     query::host_document(host.id, host.groups, std::move(inventory),
                                          ci == host_cis.end() ? json::object() : ci->second));
    }
    if (std::ssize(hosts) < kPage) break;
  }
  RELMAN_TRY(targets, selector.finish());
  RELMAN_TRY(schedule, request_schedule(request));
  RELMAN_TRY(plan, make_plan(targets, request.dependencies, request.policy, schedule, now));
  if (effective != nullptr) {
    // What a rollout keeps: the groups its targets are in (the runner checks their windows
    // again at dispatch); the dependencies are in the plan's `after` lists already.
    std::set<std::string> target_ids;
    for (const auto& t : targets) target_ids.insert(t.id);
    *effective = given;
    effective->groups.clear();
    for (const auto& g : request.groups) {
      // A window names a group by at most kMaxIdLength bytes; a longer CMDB name (a CI name
      // may have 200) can scope no window, and the stored request must read back.
      if (g.name.size() > protocol::kMaxIdLength) continue;
      HostGroup kept{g.name, {}};
      for (const auto& h : g.hosts) {
        if (target_ids.contains(h)) kept.hosts.push_back(h);
      }
      if (kept.hosts.size() > kMaxRequestHosts) {
        return fail("plan.too_many_hosts",
                    "group '" + g.name + "' has more than " + std::to_string(kMaxRequestHosts) +
                        " target hosts; a rollout keeps at most that many per group",
                    "groups");
      }
      if (!kept.hosts.empty()) effective->groups.push_back(std::move(kept));
    }
  }
  return plan;
}

Result<json> affected_services(Store& store, Plan& plan) {
  RELMAN_TRY(facts, store.cmdb_host_facts());
  std::map<std::string, std::int64_t> host_ci;
  for (const auto& [agent, ci] : facts.host_cis) host_ci.emplace(agent, ci.id);
  struct Service {
    cmdb::CiRef ci;
    std::set<std::string> hosts;
    std::string explanation;  // the first (shortest) path found
  };
  // The plan's hosts that have a host CI, in plan order, at most kMaxImpactHosts of them.
  std::vector<std::pair<std::string, std::int64_t>> origins;
  for (const auto& wave : plan.waves) {
    for (const auto& host : wave.hosts) {
      if (auto ci = host_ci.find(host.id); ci != host_ci.end()) origins.emplace_back(*ci);
    }
  }
  if (origins.size() > kMaxImpactHosts) {
    origins.resize(kMaxImpactHosts);
    plan.warnings.push_back({"plan.impact_truncated", "affected services are shown for the first " +
                                                          std::to_string(kMaxImpactHosts) +
                                                          " hosts with a host CI only"});
  }
  std::map<std::int64_t, Service> services;
  for (const auto& [host, ci] : origins) {
    RELMAN_TRY(report, store.ci_impact(ci));
    for (const auto& a : report.affected) {
      if (a.ci.class_name != "service") continue;
      auto it = services.try_emplace(a.ci.id, Service{a.ci, {}, explain(a)}).first;
      it->second.hosts.insert(host);
    }
  }
  json out = json::array();
  for (const auto& [id, s] : services) {
    out.push_back(json{{"ci", {{"id", s.ci.id}, {"class", s.ci.class_name}, {"name", s.ci.name}}},
                       {"hosts", s.hosts},
                       {"explanation", s.explanation}});
  }
  return out;
}

}  // namespace relman::controller::rollout
