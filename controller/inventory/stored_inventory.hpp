// A host's last inventory report as the controller keeps it, so that a delta costs what it
// changes and not what the host has: the skeleton (the document with each keyed collection
// replaced by its placeholder, protocol/inventory_hash.hpp; the report hash is the SHA-256 of
// its canonical text) plus each collection's items as text, one line per item:
//
//   <canonical key JSON>\t<canonical item JSON>\n
//
// sorted by key, then item (canonical JSON holds no raw tab or newline). An item's digest is the
// SHA-256 of its line's item text, computed again when a delta takes the item off; lines written
// before carried it in front ("<64 hex>\t<key>\t<item>") and still read. A collection's lines are
// spread over kBuckets parts by a hash of the key, so that a delta loads and rewrites only the
// parts holding the items it adds, removes or changes (a few KB, not the 150 KB of 1,500
// packages), and moves the collection's digest by those items alone. A store may keep some
// items elsewhere (the SQL store keeps software items in their installed rows, migration 26)
// and hand them over as parts (add_lines): this code reads only parts.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "protocol/inventory_delta.hpp"

namespace relman::controller::inventory {

// 128: a host's 1,500 packages make parts of about 1.3 KB, which SQLite keeps in the row (no
// overflow page) three to a page, so a full report writes little empty space and a delta
// rewrites three small rows in place. Parts of 2.7 KB (64, until 2026-11-25) took a page each, a
// third of it empty. A collection stored in other parts still reads back whole; a delta that
// removes or changes an item finds it in the wrong part and is refused, so the agent sends one
// full report, which is stored in 128.
inline constexpr int kBuckets = 128;

// A part of a collection: its path and bucket (0..kBuckets-1). As a request to load, bucket
// kAllBuckets stands for every part of the collection.
using Part = std::pair<std::string, int>;
inline constexpr int kAllBuckets = -1;
using Parts = std::map<Part, std::string>;  // part -> item lines

// The bucket of an item whose canonical key JSON is `key` (FNV-1a: stable everywhere).
int bucket_of(std::string_view key);

struct StoredInventory {
  nlohmann::json skeleton = nlohmann::json::object();
  Parts collections;  // the parts loaded (a part that is not there holds no items)
  // `collections` holds every part the host has (a full report, or a delta that replaced
  // whole collections): the store drops the host's parts not in it.
  bool whole = false;
};

// Called by split_inventory for each item of each keyed collection, in the document's order,
// with the item's canonical key and item text (its line is key + '\t' + text).
using ItemSeen = std::function<void(std::string_view path, const nlohmann::json& item,
                                    const std::string& key, const std::string& text)>;

// A report's document (from a decoded message: valid UTF-8) in stored form, whole; `seen`, when
// set, sees every item. Errors: protocol.non_canonical_number.
Result<StoredInventory> split_inventory(nlohmann::json doc, const ItemSeen& seen = {});

// Adds item lines ("<key>\t<item>", without the newline) of collection `path` to `parts`, each in
// its key's bucket, each part sorted as stored ones are: a store that keeps some items elsewhere
// than in parts hands them over in the form apply_delta and assemble_inventory read.
void add_lines(Parts& parts, const std::string& path, const std::vector<std::string>& lines);

// The canonical text of the skeleton (what is stored) and its SHA-256 (the report hash).
struct SkeletonText {
  std::string text;
  std::string hash;
};
Result<SkeletonText> skeleton_text(const nlohmann::json& skeleton);

// The document again: each placeholder whose collection is in `collections` replaced by its
// items, sorted as normalize_inventory sorts them. A document stored before collections were
// kept apart (no placeholders) comes back as it is. Unreadable lines are skipped.
nlohmann::json assemble_inventory(nlohmann::json skeleton, const Parts& collections);

// An item a delta names: its collection, its "name" member (empty when it has none) and its
// canonical key text.
struct ItemKey {
  std::string path;
  std::string name;
  std::string key;
};

// What apply_delta needs loaded: the parts, and the same items by key (for items a store keeps
// elsewhere than in parts, which it loads by key and hands over with add_lines).
struct Needed {
  std::set<Part> parts;
  std::vector<ItemKey> keys;
};

// What apply_delta needs loaded for `changes` (plus the whole hardware collections when
// `hardware`); nullopt when the delta sets or unsets a collection or an object above one: then
// apply_delta needs every part of every collection.
std::optional<Needed> collections_needed(const protocol::InventoryChanges& changes, bool hardware);

// Applies `changes` as protocol::apply_inventory_changes applies them to the whole document,
// with the same refusals (inventory.delta_invalid, context the path), touching only the
// collections named (collections_needed); with every collection loaded (`state.whole`) a delta
// that replaces collections is applied to the assembled document and split again.
Result<void> apply_delta(StoredInventory& state, const protocol::InventoryChanges& changes);

}  // namespace relman::controller::inventory
