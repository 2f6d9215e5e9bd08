// Compliance with software policies: which hosts of a policy's group lack its package or run
// only versions below its minimum. Pure: the caller passes the policies, the CMDB's host facts
// (cmdb::HostFacts: host CIs and the groups they are part_of) and the installed versions of
// the policies' packages (Store::installed_packages); nothing here reads the store or a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/cmdb/ci.hpp"
#include "controller/inventory/software_policy.hpp"

namespace relman::controller::inventory {

// A package a policy asks for: what Store::installed_packages looks up.
struct PackageKey {
  std::string manager;
  std::string name;
  auto operator<=>(const PackageKey&) const = default;
};

// One software CI installed_on one host CI.
struct InstalledPackage {
  std::int64_t host_ci_id = 0;
  std::string manager;
  std::string name;
  std::string version;
};

struct Violation {
  std::int64_t policy_id = 0;
  std::string manager;
  std::string package;
  std::optional<std::string> min_version;
  std::string reason;                  // missing | too_old
  std::vector<std::string> installed;  // the versions found (too_old), sorted
};

// The policy's verdict on one host that has `installed` versions of its package: nullopt when
// compliant, "missing" when there is none, "too_old" when every one is below min_version.
std::optional<Violation> evaluate_policy(const SoftwarePolicy& policy,
                                         std::vector<std::string> installed);

struct PolicyCompliance {
  SoftwarePolicy policy;
  std::int64_t hosts_checked = 0;
  std::int64_t compliant = 0;
  std::int64_t out_of_policy = 0;
};

struct HostCompliance {
  std::string agent_id;
  std::string hostname;  // as the agent reported it (the host CI's name if none)
  std::int64_t host_ci_id = 0;
  std::vector<Violation> violations;  // in policy order
};

struct ComplianceReport {
  std::vector<PolicyCompliance> policies;  // as given
  std::vector<HostCompliance> hosts;       // out of policy only, by agent id
};

// The packages `policies` ask for, each once, sorted.
std::vector<PackageKey> policy_packages(const std::vector<SoftwarePolicy>& policies);

// Checks every host whose CI is part_of a policy's group (only `agent_id`'s host when given)
// against `installed` (rows of any host and package; others are ignored).
ComplianceReport evaluate_compliance(const std::vector<SoftwarePolicy>& policies,
                                     const cmdb::HostFacts& facts,
                                     const std::vector<InstalledPackage>& installed,
                                     const std::optional<std::string>& agent_id);

nlohmann::json to_json(const Violation& v);
nlohmann::json to_json(const PolicyCompliance& p);
nlohmann::json to_json(const HostCompliance& h);

}  // namespace relman::controller::inventory
