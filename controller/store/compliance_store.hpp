// The store's part for software policies and compliance (issue 5, item 4): policies in
// sql_store_software_policies.cpp, and the one read of hosts' installed software that the
// compliance report needs in sql_store_compliance.cpp. Mutations append their audit entry
// (software_policy.created / software_policy.deleted) in the same transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/inventory/compliance.hpp"
#include "controller/inventory/software_policy.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

class ComplianceStore {
 public:
  virtual ~ComplianceStore() = default;

  // software_policy.unknown_group (no CI has that name), software_policy.exists (the group
  // already has a policy for that manager and package), software_policy.too_many (more than
  // inventory::kMaxSoftwarePolicies).
  virtual Result<inventory::SoftwarePolicy> create_software_policy(
      const inventory::SoftwarePolicyDraft& draft, const std::string& actor) = 0;
  // Every policy (of `group` when set), by id; at most inventory::kMaxSoftwarePolicies.
  virtual Result<std::vector<inventory::SoftwarePolicy>> software_policies(
      const std::optional<std::string>& group) = 0;
  // software_policy.not_found.
  virtual Result<void> delete_software_policy(std::int64_t id, const std::string& actor) = 0;

  // Every software CI of these packages installed_on a host CI: host CI id, manager, name,
  // version (one row per software CI and host). compliance.too_many_rows past kMaxInstalledRows.
  virtual Result<std::vector<inventory::InstalledPackage>> installed_packages(
      const std::vector<inventory::PackageKey>& packages) = 0;
};

inline constexpr std::size_t kMaxInstalledRows = 2000000;

}  // namespace relman::controller
