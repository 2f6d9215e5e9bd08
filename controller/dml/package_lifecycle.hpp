// The DML's package lifecycle: a version is uploaded (verified), then tested, then authorized
// for deployment; any of these can be revoked, which is final. Only authorized versions are
// deployed; revoking one stops what has not started yet (store: transition_package).
//
//   uploaded --test--> tested --authorize--> authorized
//       \________________\_______________________\--revoke--> revoked
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller {

inline constexpr std::size_t kMaxPackageReasonLength = 2000;

struct PackageTransition {
  std::string action;  // test | authorize | revoke
  std::string reason;  // required for revoke
};

// The actions a package in `status` can take, in lifecycle order.
std::vector<std::string> allowed_package_actions(const std::string& status);
// The status after `action`; package.illegal_transition (409) naming the allowed actions, or
// package.unknown_action for an action the lifecycle does not have.
Result<std::string> next_package_status(const std::string& status, const std::string& action);
// {"action": "test"|"authorize"|"revoke", "reason"?: text}: unknown fields refused;
// package.reason_required when revoking without a reason.
Result<PackageTransition> parse_package_transition(const nlohmann::json& body);

}  // namespace relman::controller
