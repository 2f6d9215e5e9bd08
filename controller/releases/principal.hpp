// Who a release is with: a user or a group, by name. Used for the current responsible, the
// shared-with list and the target of a delegation.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace relman::controller {

enum class PrincipalKind { user, group };

struct Principal {
  PrincipalKind kind = PrincipalKind::user;
  std::string name;

  auto operator<=>(const Principal&) const = default;
};

std::string_view principal_kind_name(PrincipalKind k);
std::optional<PrincipalKind> parse_principal_kind(std::string_view s);

// User and group names: 1..64 of [A-Za-z0-9._-], so they read the same in logs, URLs and CSV.
bool valid_account_name(std::string_view name);

// "user:alice", "group:ops"; empty for an empty name (nobody).
std::string to_string(const Principal& p);

}  // namespace relman::controller
