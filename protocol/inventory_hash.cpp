#include "protocol/inventory_hash.hpp"

#include <openssl/evp.h>

#include "protocol/canonical_json.hpp"
#include "protocol/inventory_delta.hpp"

namespace relman::protocol {
namespace {

using nlohmann::json;

constexpr std::string_view kPlaceholderPrefix = "relman-items:";
constexpr char kHex[] = "0123456789abcdef";

// Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up again on every digest,
// a tenth of the time of hashing a report's 1,500 small items.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? static_cast<const EVP_MD*>(fetched) : EVP_sha256();
  }();
  return md;
}

Result<std::array<unsigned char, 32>> sha256(std::string_view text) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md.data(), &len, sha256_md(), nullptr) != 1 ||
      len != md.size()) {
    return fail("inventory.hash_failed", "SHA-256 of the inventory report failed");
  }
  return md;
}

std::string hex_of(const unsigned char* bytes, std::size_t n) {
  std::string hex;
  hex.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    hex += kHex[bytes[i] >> 4];
    hex += kHex[bytes[i] & 0xf];
  }
  return hex;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void ItemsDigest::add(const ItemsDigest& other) {
  for (std::size_t i = 0; i < lanes.size(); ++i) lanes[i] += other.lanes[i];
  count += other.count;
}

void ItemsDigest::subtract(const ItemsDigest& other) {
  for (std::size_t i = 0; i < lanes.size(); ++i) lanes[i] -= other.lanes[i];
  count -= other.count;
}

std::string ItemsDigest::hex() const {
  unsigned char bytes[32];
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    for (std::size_t b = 0; b < 8; ++b) bytes[i * 8 + b] = (lanes[i] >> (8 * b)) & 0xff;
  }
  return hex_of(bytes, sizeof bytes);
}

Result<ItemsDigest> item_digest(const json& item) {
  RELMAN_TRY(text, canonical_json(item));
  return text_digest(text);
}

Result<ItemsDigest> text_digest(std::string_view canonical_text) {
  RELMAN_TRY(md, sha256(canonical_text));
  ItemsDigest d;
  d.count = 1;
  for (std::size_t i = 0; i < d.lanes.size(); ++i) {
    for (std::size_t b = 0; b < 8; ++b) {
      d.lanes[i] |= static_cast<std::uint64_t>(md[i * 8 + b]) << (8 * b);
    }
  }
  return d;
}

std::optional<ItemsDigest> digest_from_hex(std::string_view hex, std::uint64_t count) {
  if (hex.size() != 64) return std::nullopt;
  ItemsDigest d;
  d.count = count;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d.lanes[i / 8] |= static_cast<std::uint64_t>(hi * 16 + lo) << (8 * (i % 8));
  }
  return d;
}

std::string collection_placeholder(const ItemsDigest& digest) {
  return std::string(kPlaceholderPrefix) + std::to_string(digest.count) + ":" + digest.hex();
}

std::optional<ItemsDigest> parse_collection_placeholder(std::string_view text) {
  if (!text.starts_with(kPlaceholderPrefix)) return std::nullopt;
  text.remove_prefix(kPlaceholderPrefix.size());
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 19) return std::nullopt;
  std::uint64_t count = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return std::nullopt;
    count = count * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return digest_from_hex(text.substr(colon + 1), count);
}

Result<json> inventory_skeleton(json doc) {
  for (const auto& c : inventory_collections()) {
    json* items = find_inventory_path(doc, c.path);
    if (!items || !items->is_array()) continue;
    ItemsDigest sum;
    for (const auto& item : *items) {
      RELMAN_TRY(d, item_digest(item));
      sum.add(d);
    }
    *items = collection_placeholder(sum);
  }
  return doc;
}

Result<std::string> skeleton_hash(const json& skeleton) {
  RELMAN_TRY(text, canonical_json(skeleton));
  RELMAN_TRY(md, sha256(text));
  return hex_of(md.data(), md.size());
}

Result<std::string> inventory_hash(const json& doc) {
  RELMAN_TRY(skeleton, inventory_skeleton(doc));
  return skeleton_hash(skeleton);
}

Result<std::string> legacy_inventory_hash(const json& doc) {
  RELMAN_TRY(text, canonical_json(doc));
  RELMAN_TRY(md, sha256(text));
  return hex_of(md.data(), md.size());
}

}  // namespace relman::protocol
