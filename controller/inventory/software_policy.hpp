// Software policies (issue 5, item 4): hosts in a group must have a package, optionally at a
// minimum version. A group is the name of a CMDB CI that host CIs are `part_of`, the same
// groups the rollout planner uses (cmdb::HostFacts). This file holds the policy's rules:
// reading a request, checking the minimum version for its package manager, and ordering
// versions the way that manager does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller::inventory {

inline constexpr std::size_t kMaxPolicyGroupLength = 200;  // cmdb::kMaxCiNameLength
inline constexpr std::size_t kMaxPolicyPackageLength = 256;
inline constexpr std::size_t kMaxPolicyNoteLength = 1000;
inline constexpr std::size_t kMaxSoftwarePolicies = 1000;  // the store refuses more

struct SoftwarePolicyDraft {
  std::string group;
  std::string manager = "dpkg";  // dpkg | rpm | relman
  std::string package;
  std::optional<std::string> min_version;
  std::string note;
};

struct SoftwarePolicy {
  std::int64_t id = 0;
  SoftwarePolicyDraft rule;
  std::string created_by;
  std::int64_t created_at = 0;
};

const std::vector<std::string>& policy_managers();  // dpkg, rpm, relman

// POST /software-policies: {"group", "package", "manager"?, "min_version"?, "note"?}; unknown
// fields refused (protocol.*). software_policy.invalid_manager,
// software_policy.invalid_min_version (check_min_version's reason).
Result<SoftwarePolicyDraft> policy_draft_from_json(const nlohmann::json& doc);

// A minimum version must be one the manager could install: dpkg and rpm take Debian version
// syntax (rpm's "version-release" fits it; rpm's own `^` and `_` are not accepted), relman
// takes Semantic Versioning (packaging/version.hpp).
Result<void> check_min_version(std::string_view manager, std::string_view version);

// <0, 0, >0 like strcmp, as `manager` orders versions: dpkg's algorithm for dpkg and for rpm
// (rpm's rpmvercmp agrees with it on the usual "1.2.3-4.el9" forms and on `~`; it is not
// rpmvercmp), SemVer precedence for relman when both parse, dpkg's algorithm otherwise.
int compare_package_versions(std::string_view manager, std::string_view a, std::string_view b);

nlohmann::json to_json(const SoftwarePolicy& p);

}  // namespace relman::controller::inventory
