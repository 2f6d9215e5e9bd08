// The deploy-order checks the agent runs before it touches anything: the order is signed by a
// trusted order key, names this host, is inside its validity window, and does not downgrade
// an installed package unless the (signed) order allows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "packaging/trust.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

// How far issued_at may lie in the agent's future (controller and agent clocks differ).
inline constexpr std::int64_t kMaxOrderClockSkewSeconds = 300;

// Checks, in this order, each refusal with its own code: order.unknown_key,
// order.signature_invalid, order.wrong_host, order.expired, order.not_yet_valid,
// order.invalid_version, order.downgrade_refused; then the fields the installer uses as path
// components: order.invalid_package_name, order.invalid_hash.
Result<void> check_order(const protocol::DeployOrderMessage& msg,
                         const packaging::TrustStore& trust, std::string_view agent_id,
                         std::int64_t now_unix,
                         const std::optional<std::string>& installed_version);

// "2024-05-01T12:00:00Z (unix 1714564800)" — used in messages about clocks.
std::string describe_unix_time(std::int64_t unix_seconds);

}  // namespace relman::agent
