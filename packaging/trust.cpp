#include "packaging/trust.hpp"

#include <fstream>
#include <set>

#include "packaging/atomic_file.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::packaging {
namespace {

constexpr std::size_t kMaxTrustBytes = 1 << 20;
constexpr std::size_t kMaxTrustedKeys = 1000;

Error as_trust_error(const Error& e) {
  if (e.code.starts_with("trust.")) return e;
  return Error{"trust.invalid", e.message, e.context};
}

Result<std::vector<TrustedKey>> read_keys(const nlohmann::json& arr, const std::string& field) {
  std::vector<TrustedKey> keys;
  std::set<std::string> names;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string where = "trust." + field + "[" + std::to_string(i) + "]";
    protocol::JsonReader r(arr[i], where);
    TrustedKey k;
    k.name = r.string("name", protocol::kMaxIdLength);
    std::string b64 = r.string("public_key", 64);
    if (auto res = r.finish_strict(); !res) return fail(as_trust_error(res.error()));
    auto key = public_key_from_raw_base64(b64);
    if (!key) return fail("trust.invalid", key.error().message, where + ".public_key");
    if (!names.insert(k.name).second) {
      return fail("trust.invalid", "key name appears more than once", where + ".name");
    }
    for (const auto& other : keys) {
      if (other.key.key_id() == key->key_id()) {
        return fail("trust.duplicate_key", "the same public key is listed twice",
                    where + ".public_key");
      }
    }
    k.key = std::move(*key);
    keys.push_back(std::move(k));
  }
  return keys;
}

const TrustedKey* find_key(const std::vector<TrustedKey>& keys, std::string_view key_id) {
  for (const auto& k : keys) {
    if (k.key.key_id() == key_id) return &k;
  }
  return nullptr;
}

}  // namespace

const TrustedKey* TrustStore::find_publisher(std::string_view key_id) const {
  return find_key(publishers, key_id);
}

const TrustedKey* TrustStore::find_order_key(std::string_view key_id) const {
  return find_key(order_keys, key_id);
}

Result<TrustStore> trust_store_from_json(const nlohmann::json& j) {
  protocol::JsonReader r(j, "trust");
  TrustStore t;
  t.version = r.integer("version", 1, INT64_MAX);
  auto threshold = r.integer("threshold", INT32_MIN, INT32_MAX);
  const auto* publishers = r.array("publishers", kMaxTrustedKeys);
  const auto* order_keys = r.optional_array("order_keys", kMaxTrustedKeys);
  if (auto res = r.finish_strict(); !res) return fail(as_trust_error(res.error()));
  auto pubs = read_keys(*publishers, "publishers");
  if (!pubs) return fail(pubs.error());
  t.publishers = std::move(*pubs);
  if (order_keys) {
    auto orders = read_keys(*order_keys, "order_keys");
    if (!orders) return fail(orders.error());
    t.order_keys = std::move(*orders);
  }
  if (threshold < 1 || static_cast<std::size_t>(threshold) > t.publishers.size()) {
    return fail("trust.threshold_invalid",
                "threshold must be between 1 and the number of publisher keys (" +
                    std::to_string(t.publishers.size()) + ")",
                "trust.threshold");
  }
  t.threshold = static_cast<int>(threshold);
  return t;
}

Result<TrustStore> load_trust_store(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("trust.read_failed", "cannot open trust file", file.string());
  std::string text(kMaxTrustBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("trust.read_failed", "cannot read trust file", file.string());
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto doc = protocol::parse_json_object(text, kMaxTrustBytes, "trust.json");
  if (!doc) return fail("trust.invalid", doc.error().message, file.string());
  return trust_store_from_json(*doc);
}

nlohmann::json to_json(const TrustStore& t) {
  auto keys = [](const std::vector<TrustedKey>& list) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : list) {
      arr.push_back({{"name", k.name}, {"public_key", k.key.raw_base64()}});
    }
    return arr;
  };
  return {{"version", t.version},
          {"threshold", t.threshold},
          {"publishers", keys(t.publishers)},
          {"order_keys", keys(t.order_keys)}};
}

Result<void> save_trust_store(const TrustStore& t, const std::filesystem::path& file) {
  // Refuse to write what could not be read back.
  if (auto check = trust_store_from_json(to_json(t)); !check) return fail(check.error());
  return write_file_atomically(file, to_json(t).dump(2) + "\n", 0644, "trust.write_failed");
}

}  // namespace relman::packaging
