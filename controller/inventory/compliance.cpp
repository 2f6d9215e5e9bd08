#include "controller/inventory/compliance.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace relman::controller::inventory {
using nlohmann::json;

namespace {
// What the agent reported as the hostname; the CI's name (which may have been renamed) else.
std::string hostname(const cmdb::HostCi& ci) {
  auto it = ci.attributes.find("hostname");
  return it != ci.attributes.end() && it->is_string() ? it->get<std::string>() : ci.name;
}
}  // namespace

std::optional<Violation> evaluate_policy(const SoftwarePolicy& policy,
                                         std::vector<std::string> installed) {
  const auto& rule = policy.rule;
  Violation v{policy.id, rule.manager, rule.package, rule.min_version, "missing", {}};
  if (installed.empty()) return v;
  if (!rule.min_version) return std::nullopt;
  for (const auto& version : installed) {
    if (compare_package_versions(rule.manager, version, *rule.min_version) >= 0) {
      return std::nullopt;
    }
  }
  std::sort(installed.begin(), installed.end(), [&](const auto& a, const auto& b) {
    return compare_package_versions(rule.manager, a, b) < 0;
  });
  installed.erase(std::unique(installed.begin(), installed.end()), installed.end());
  v.reason = "too_old";
  v.installed = std::move(installed);
  return v;
}

std::vector<PackageKey> policy_packages(const std::vector<SoftwarePolicy>& policies) {
  std::set<PackageKey> keys;
  for (const auto& p : policies) keys.insert(PackageKey{p.rule.manager, p.rule.package});
  return {keys.begin(), keys.end()};
}

ComplianceReport evaluate_compliance(const std::vector<SoftwarePolicy>& policies,
                                     const cmdb::HostFacts& facts,
                                     const std::vector<InstalledPackage>& installed,
                                     const std::optional<std::string>& agent_id) {
  // (host CI, manager, package) -> versions
  std::map<std::tuple<std::int64_t, std::string, std::string>, std::vector<std::string>> versions;
  for (const auto& i : installed) {
    versions[{i.host_ci_id, i.manager, i.name}].push_back(i.version);
  }
  std::map<std::string, const cmdb::HostCi*> host_ci;
  for (const auto& [agent, ci] : facts.host_cis) host_ci.emplace(agent, &ci);
  std::map<std::string, std::vector<std::string>> members;  // group -> agents
  for (const auto& [agent, group] : facts.groups) {
    if (agent_id && agent != *agent_id) continue;
    if (host_ci.contains(agent)) members[group].push_back(agent);
  }

  ComplianceReport report;
  std::map<std::string, HostCompliance> out;  // by agent id
  for (const auto& policy : policies) {
    PolicyCompliance pc{policy, 0, 0, 0};
    auto group = members.find(policy.rule.group);
    if (group != members.end()) {
      for (const auto& agent : group->second) {
        const cmdb::HostCi& ci = *host_ci.at(agent);
        ++pc.hosts_checked;
        auto found = versions.find({ci.id, policy.rule.manager, policy.rule.package});
        auto violation = evaluate_policy(
            policy, found == versions.end() ? std::vector<std::string>{} : found->second);
        if (!violation) {
          ++pc.compliant;
          continue;
        }
        ++pc.out_of_policy;
        auto [host, fresh] = out.try_emplace(agent);
        if (fresh) host->second = HostCompliance{agent, hostname(ci), ci.id, {}};
        host->second.violations.push_back(std::move(*violation));
      }
    }
    report.policies.push_back(std::move(pc));
  }
  for (auto& [agent, host] : out) report.hosts.push_back(std::move(host));
  return report;
}

json to_json(const Violation& v) {
  return json{
      {"policy", v.policy_id}, {"manager", v.manager},
      {"package", v.package},  {"min_version", v.min_version ? json(*v.min_version) : json()},
      {"reason", v.reason},    {"installed", v.installed}};
}

json to_json(const PolicyCompliance& p) {
  return json{{"policy", to_json(p.policy)},
              {"hosts_checked", p.hosts_checked},
              {"compliant", p.compliant},
              {"out_of_policy", p.out_of_policy}};
}

json to_json(const HostCompliance& h) {
  json violations = json::array();
  for (const auto& v : h.violations) violations.push_back(to_json(v));
  return json{{"agent_id", h.agent_id},
              {"hostname", h.hostname},
              {"host_ci", h.host_ci_id},
              {"violations", violations}};
}

}  // namespace relman::controller::inventory
