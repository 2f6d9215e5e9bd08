// trust.json: which keys the holder trusts. Publishers sign packages (a package needs valid
// signatures from `threshold` distinct publisher keys); order keys sign deploy orders (the
// controller's key). The version never goes down (rotation checks come with root signing).
//
// {"version": 1, "threshold": 1,
//  "publishers": [{"name": "release-team", "public_key": "<base64 raw 32 bytes>"}],
//  "order_keys": [{"name": "controller", "public_key": "<base64 raw 32 bytes>"}]}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "packaging/signing.hpp"
#include "protocol/error.hpp"

namespace relman::packaging {

struct TrustedKey {
  std::string name;
  PublicKey key;
};

struct TrustStore {
  std::int64_t version = 1;
  int threshold = 1;  // 1..publishers.size()
  std::vector<TrustedKey> publishers;
  std::vector<TrustedKey> order_keys;

  const TrustedKey* find_publisher(std::string_view key_id) const;
  const TrustedKey* find_order_key(std::string_view key_id) const;
};

// Errors: trust.read_failed, trust.invalid (context = field), trust.threshold_invalid,
// trust.duplicate_key.
Result<TrustStore> load_trust_store(const std::filesystem::path& file);
Result<TrustStore> trust_store_from_json(const nlohmann::json& j);
nlohmann::json to_json(const TrustStore& t);
// Atomic write (temp + rename), mode 0644.
Result<void> save_trust_store(const TrustStore& t, const std::filesystem::path& file);

}  // namespace relman::packaging
