// The hash that names an inventory report (agent and controller compute it alike), built so that
// a delta can be checked without the whole report: each keyed collection
// (inventory_collections()) contributes a digest that is the sum of its items' digests, so
// adding, removing or changing an item changes the digest by that item alone.
//
//   item digest        SHA-256 of the item's canonical JSON, read as four little-endian
//                      64-bit lanes
//   collection digest  the lane-wise sum (mod 2^64) of its items' digests, and their count;
//                      independent of the items' order
//   skeleton           the document with each keyed collection that is an array replaced by
//                      the string collection_placeholder(digest)
//   report hash        lowercase hex SHA-256 of canonical_json(skeleton)
//
// The sum is not a cryptographic commitment against a party that chooses many items to collide
// (the agent is authenticated by its certificate and reports on itself); it detects the two
// sides' copies drifting apart, which is its job.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::protocol {

struct ItemsDigest {
  std::array<std::uint64_t, 4> lanes{};
  std::uint64_t count = 0;

  void add(const ItemsDigest& other);
  void subtract(const ItemsDigest& other);
  std::string hex() const;  // 64 lowercase hex digits
  bool operator==(const ItemsDigest&) const = default;
};

// One item's digest (count 1). protocol.non_canonical_number for floats.
Result<ItemsDigest> item_digest(const nlohmann::json& item);
// The digest of an item whose canonical JSON is `canonical_text`.
Result<ItemsDigest> text_digest(std::string_view canonical_text);
// nullopt when `hex` is not 64 hex digits.
std::optional<ItemsDigest> digest_from_hex(std::string_view hex, std::uint64_t count);

// "relman-items:<count>:<digest hex>"
std::string collection_placeholder(const ItemsDigest& digest);
// The digest a placeholder names; nullopt when `text` is not one.
std::optional<ItemsDigest> parse_collection_placeholder(std::string_view text);

// `doc` with each keyed collection that is an array replaced by its placeholder.
Result<nlohmann::json> inventory_skeleton(nlohmann::json doc);
// Lowercase hex SHA-256 of canonical_json(skeleton).
Result<std::string> skeleton_hash(const nlohmann::json& skeleton);
// skeleton_hash(inventory_skeleton(doc)): the hash that names a report.
Result<std::string> inventory_hash(const nlohmann::json& doc);
// The hash agents before the collection digests sent: SHA-256 of canonical_json(doc). The
// controller still accepts a full report named by it (an older agent), never a delta.
Result<std::string> legacy_inventory_hash(const nlohmann::json& doc);

}  // namespace relman::protocol
