// Inventory reports as documents, the hash that names a report, and item-level deltas between
// two reports. Agent and controller both call these functions, so a delta the agent computes
// applies on the controller to exactly the document the agent holds, and both hash it alike.
//
// A document is the full report's JSON object (no "type", no "hash"). Arrays listed in
// inventory_collections() are keyed collections: their items are objects named by key fields,
// kept sorted by key, and a delta adds, removes or changes items there. Everything else
// changes by "set" (a JSON Pointer into objects only, and the new value) or "unset".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "protocol/inventory_hash.hpp"

namespace relman::protocol {

inline constexpr std::size_t kMaxInventoryPathLength = 512;
// Set/unset entries plus collection items in one delta.
inline constexpr std::size_t kMaxInventoryDeltaEntries = 200'000;

struct InventoryCollection {
  std::string_view path;               // JSON Pointer, e.g. "/facts/software/dpkg/packages"
  std::vector<std::string_view> keys;  // the fields that name an item, e.g. {"name"}
};

// The keyed collections of the protocol (both sides must agree on them).
const std::vector<InventoryCollection>& inventory_collections();

struct InventorySet {
  std::string path;  // JSON Pointer to a member of an object
  nlohmann::json value;
};

struct InventoryItemChanges {
  std::string path;                     // one of inventory_collections()
  std::vector<nlohmann::json> added;    // whole items not in the base
  std::vector<nlohmann::json> removed;  // the key fields of items leaving
  std::vector<nlohmann::json> changed;  // whole items, new content, same key
};

struct InventoryChanges {
  std::vector<std::string> unset;
  std::vector<InventorySet> set;
  std::vector<InventoryItemChanges> items;

  bool empty() const;
  std::size_t entry_count() const;  // unset + set + every item added, removed or changed
};

// Sorts every keyed collection present in `doc` by key (then by content, so duplicates sort
// deterministically too) and replaces invalid UTF-8 in strings (U+FFFD), so the document hashes
// the same on both sides (inventory_hash.hpp has the hash).
void normalize_inventory(nlohmann::json& doc);

// The collection at `path`, or nullptr when it is not one of inventory_collections().
const InventoryCollection* find_inventory_collection(std::string_view path);

// Whether the JSON Pointer `p` is `path` or names an object above it ("" covers everything).
bool inventory_path_covers(std::string_view p, std::string_view path);

// The value at a JSON Pointer, walking objects only; nullptr when there is none.
nlohmann::json* find_inventory_path(nlohmann::json& doc, std::string_view pointer);

// Whether `item` is an object holding every key field of `c`.
bool is_keyed_inventory_item(const nlohmann::json& item, const InventoryCollection& c);

// The key of a keyed item: the array of its key fields' values (null for a missing one).
nlohmann::json inventory_item_key(const nlohmann::json& item, const InventoryCollection& c);

// The sorting part of normalize_inventory, for documents whose strings are valid UTF-8 already
// (decoded messages, stored reports).
void sort_inventory_collections(nlohmann::json& doc);

// What turns `base` into `current` (both normalized). A collection with duplicate keys or items
// that are not keyed objects is sent whole with "set".
InventoryChanges diff_inventory(const nlohmann::json& base, const nlohmann::json& current);

// Applies changes in order unset, set, items, and normalizes the result. Refuses
// (inventory.delta_invalid, context = the path) a path that is not under an existing object,
// an unset of an absent member, an added item whose key exists, a removed or changed item whose
// key does not, and a collection whose items are not uniquely keyed objects.
Result<nlohmann::json> apply_inventory_changes(nlohmann::json base,
                                               const InventoryChanges& changes);

// Wire form: {"unset": [...], "set": [{"path","value"}], "items": [{"path","added",...}]}
// merged into the message object.
void write_inventory_changes(const InventoryChanges& changes, nlohmann::json& out);
// Validates shapes and bounds: paths are JSON Pointers of at most kMaxInventoryPathLength bytes
// (not the root), item paths are keyed collections, items are objects holding every key field,
// at most kMaxInventoryDeltaEntries entries. Errors protocol.* with the field as context.
Result<InventoryChanges> read_inventory_changes(const nlohmann::json& message);

}  // namespace relman::protocol
