#include "agent/installer/order_check.hpp"

#include <ctime>

#include "packaging/manifest.hpp"
#include "packaging/sha256.hpp"
#include "packaging/signing.hpp"
#include "packaging/version.hpp"
#include "protocol/canonical_json.hpp"

namespace relman::agent {

std::string describe_unix_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[64] = "?";
  if (gmtime_r(&t, &tm) != nullptr) std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf) + " (unix " + std::to_string(unix_seconds) + ")";
}

Result<void> check_order(const protocol::DeployOrderMessage& msg,
                         const packaging::TrustStore& trust, std::string_view agent_id,
                         std::int64_t now_unix,
                         const std::optional<std::string>& installed_version) {
  const protocol::DeployOrder& order = msg.order;

  const packaging::TrustedKey* key = trust.find_order_key(msg.key_id);
  if (key == nullptr) {
    return fail("order.unknown_key",
                "the order is signed by a key that is not a trusted order key; check the "
                "agent's trust.json",
                "key_id " + msg.key_id);
  }

  auto signed_bytes = protocol::canonical_json(protocol::to_json(order));
  if (!signed_bytes || !packaging::verify_signature(key->key, *signed_bytes, msg.signature)) {
    return fail("order.signature_invalid",
                "the order's signature does not verify with order key '" + key->name +
                    "'; the order was changed after signing or signed by another key",
                "order " + order.order_id);
  }

  if (order.host_id != agent_id) {
    return fail("order.wrong_host",
                "the order is for host '" + order.host_id + "' but this agent is '" +
                    std::string(agent_id) + "'",
                "order " + order.order_id);
  }

  if (now_unix >= order.expires_at) {
    return fail("order.expired",
                "the order expired at " + describe_unix_time(order.expires_at) +
                    "; the agent's clock reads " + describe_unix_time(now_unix) +
                    " (if the order is fresh, check the clock skew between agent and controller)",
                "order " + order.order_id);
  }

  if (order.issued_at > now_unix + kMaxOrderClockSkewSeconds) {
    return fail("order.not_yet_valid",
                "the order was issued at " + describe_unix_time(order.issued_at) + ", more than " +
                    std::to_string(kMaxOrderClockSkewSeconds) + " s after the agent's clock " +
                    describe_unix_time(now_unix) +
                    "; check the clock skew between agent and controller",
                "order " + order.order_id);
  }

  auto wanted = packaging::parse_version(order.package_version);
  if (!wanted) {
    return fail("order.invalid_version",
                "the order names package version '" + order.package_version +
                    "', which is not a valid version: " + wanted.error().message,
                "order " + order.order_id);
  }

  if (installed_version && !order.allow_downgrade) {
    // A version we recorded ourselves always parses; if it somehow does not, there is no
    // order to protect and the install goes ahead.
    auto current = packaging::parse_version(*installed_version);
    if (current && packaging::compare_versions(*wanted, *current) < 0) {
      return fail("order.downgrade_refused",
                  "the order would downgrade " + order.package_name + " from " +
                      *installed_version + " to " + order.package_version +
                      " and does not allow downgrades",
                  "order " + order.order_id);
    }
  }

  if (!packaging::is_valid_package_name(order.package_name)) {
    return fail("order.invalid_package_name",
                "the order names package '" + order.package_name + "', which is not a valid name",
                "order " + order.order_id);
  }
  if (!packaging::is_sha256_hex(order.package_sha256) ||
      !packaging::is_sha256_hex(order.manifest_sha256)) {
    return fail("order.invalid_hash", "the order's package or manifest hash is not SHA-256 hex",
                "order " + order.order_id);
  }
  return ok();
}

}  // namespace relman::agent
