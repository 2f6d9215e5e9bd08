#include "controller/inventory/stored_inventory.hpp"

#include <algorithm>
#include <cstdint>
#include <list>
#include <string_view>
#include <vector>

#include "protocol/canonical_json.hpp"
#include "protocol/inventory_hash.hpp"

namespace relman::controller::inventory {
namespace {

using nlohmann::json;
using protocol::ItemsDigest;

// One item line, viewed in place (old lines) or owned (new ones). `digest`: the item's digest
// in hex on a line written before lines dropped it (empty otherwise; it is the digest of
// `item`, which is canonical text, so it is computed again when needed).
struct Entry {
  std::string_view key;
  std::string_view item;
  std::string_view digest;
};

bool before(const Entry& a, const Entry& b) {
  return a.key != b.key ? a.key < b.key : a.item < b.item;
}

// The lines of `text`; nullopt when one is neither "<key>\t<item>" nor (written before)
// "<digest>\t<key>\t<item>". Canonical JSON holds no raw tab, so the tabs tell them apart.
std::optional<std::vector<Entry>> entries_of(std::string_view text) {
  std::vector<Entry> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    auto line = text.substr(0, end);
    text.remove_prefix(end + 1);
    auto t1 = line.find('\t');
    if (t1 == std::string_view::npos) return std::nullopt;
    auto t2 = line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) {
      out.push_back({line.substr(0, t1), line.substr(t1 + 1), {}});
      continue;
    }
    if (t1 != 64 || line.find('\t', t2 + 1) != std::string_view::npos) return std::nullopt;
    out.push_back({line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1), line.substr(0, t1)});
  }
  return out;
}

void append_line(std::string& out, const Entry& e) {
  out.append(e.key).append(1, '\t').append(e.item).append(1, '\n');
}

std::size_t line_size(const Entry& e) { return e.key.size() + e.item.size() + 2; }

// A new item's line parts (owned), with its digest.
struct NewItem {
  std::string key;
  std::string item;
  ItemsDigest digest;
};

Result<NewItem> new_item(const json& item, const protocol::InventoryCollection& c) {
  NewItem n;
  RELMAN_TRY(text, protocol::canonical_json(item));
  RELMAN_TRY(key, protocol::canonical_json(protocol::inventory_item_key(item, c)));
  RELMAN_TRY(d, protocol::text_digest(text));
  n.key = std::move(key);
  n.item = std::move(text);
  n.digest = d;
  return n;
}

// The parent object of the member `path` names in `doc` and the member's name.
json* parent_of(json& doc, const std::string& path, std::string& member) {
  try {
    json::json_pointer ptr(path);
    if (ptr.empty()) return nullptr;
    member = ptr.back();
    auto parent = ptr.parent_pointer();
    json* at = protocol::find_inventory_path(doc, parent.to_string());
    return at && at->is_object() ? at : nullptr;
  } catch (const json::exception&) {
    return nullptr;
  }
}

std::string lines_of(std::vector<Entry>& entries, std::size_t reserve) {
  std::sort(entries.begin(), entries.end(), before);
  std::string text;
  text.reserve(reserve);
  for (const auto& e : entries) append_line(text, e);
  return text;
}

// The canonical key text of a keyed item; nullopt when it is not one.
std::optional<std::string> key_text(const json& item, const protocol::InventoryCollection& c) {
  if (!protocol::is_keyed_inventory_item(item, c)) return std::nullopt;
  auto key = protocol::canonical_json(protocol::inventory_item_key(item, c));
  if (!key) return std::nullopt;
  return std::move(*key);
}

Result<void> apply_items(StoredInventory& state, const protocol::InventoryItemChanges& ch) {
  auto invalid = [&](const std::string& why) {
    return fail("inventory.delta_invalid", why, ch.path);
  };
  const auto* c = protocol::find_inventory_collection(ch.path);
  if (!c) return invalid("not a keyed collection");
  json* slot = protocol::find_inventory_path(state.skeleton, ch.path);
  auto digest = slot && slot->is_string()
                    ? protocol::parse_collection_placeholder(slot->get_ref<const std::string&>())
                    : std::nullopt;
  if (!digest) return invalid("the base report has no such collection");

  // The entries of each bucket the change touches, read on first use.
  std::map<int, std::vector<Entry>> buckets;
  auto bucket = [&](const std::string& key) -> Result<std::vector<Entry>*> {
    int b = bucket_of(key);
    auto it = buckets.find(b);
    if (it != buckets.end()) return &it->second;
    auto stored = state.collections.find(Part{ch.path, b});
    std::optional<std::vector<Entry>> entries = std::vector<Entry>();
    if (stored != state.collections.end()) entries = entries_of(stored->second);
    if (!entries) return invalid("the stored collection is unreadable");
    for (std::size_t i = 1; i < entries->size(); ++i) {
      if ((*entries)[i - 1].key == (*entries)[i].key) {
        return invalid("the base collection's items are not uniquely keyed");
      }
    }
    return &buckets.emplace(b, std::move(*entries)).first->second;
  };
  // The base's entry for `key`, or nullptr.
  auto find = [&](const std::string& key) -> Result<Entry*> {
    RELMAN_TRY(entries, bucket(key));
    auto it = std::lower_bound(entries->begin(), entries->end(), key,
                               [](const Entry& e, std::string_view k) { return e.key < k; });
    return it != entries->end() && it->key == key ? &*it : nullptr;
  };
  auto take_old = [&](const Entry& e) -> Result<void> {
    auto d = e.digest.empty()
                 ? std::optional<ItemsDigest>(protocol::text_digest(e.item).value_or(ItemsDigest{}))
                 : protocol::digest_from_hex(e.digest, 1);
    if (!d || d->count != 1) return invalid("the stored collection is unreadable");
    digest->subtract(*d);
    return {};
  };

  std::set<std::string> named;  // every key the change names once
  std::list<NewItem> made;      // stable addresses: entries view into them
  std::map<int, std::vector<Entry>> added;
  std::set<std::string> removed_keys;
  // The base's entry that a removed or changed item names, its digest taken off the sum.
  auto leaving = [&](const json& item, const char* verb) -> Result<std::pair<Entry*, std::string>> {
    auto key = key_text(item, *c);
    Entry* e = nullptr;
    if (key) {
      RELMAN_TRY(found, find(*key));
      e = found;
    }
    if (!e) {
      return invalid(std::string(verb) + " an item the base report does not have: " + item.dump());
    }
    if (!named.insert(*key).second) return invalid("names an item twice: " + item.dump());
    RELMAN_CHECK(take_old(*e));
    return std::pair{e, std::move(*key)};
  };
  for (const auto& r : ch.removed) {
    RELMAN_TRY(gone, leaving(r, "removes"));
    removed_keys.insert(std::move(gone.second));
  }
  for (const auto& item : ch.changed) {
    RELMAN_TRY(old, leaving(item, "changes"));
    auto n = new_item(item, *c);
    if (!n) return invalid(n.error().message);
    digest->add(n->digest);
    const auto& m = made.emplace_back(std::move(*n));
    *old.first = Entry{m.key, m.item, {}};  // same key: the bucket stays sorted
  }
  for (const auto& item : ch.added) {
    auto key = key_text(item, *c);
    if (!key) return invalid("adds an item without its key fields");
    RELMAN_TRY(e, find(*key));
    if (e || !named.insert(*key).second) {
      return invalid("adds an item that is already there: " + *key);
    }
    auto n = new_item(item, *c);
    if (!n) return invalid(n.error().message);
    digest->add(n->digest);
    const auto& m = made.emplace_back(std::move(*n));
    added[bucket_of(m.key)].push_back({m.key, m.item, {}});
  }

  for (auto& [b, entries] : buckets) {
    std::vector<Entry> next;
    next.reserve(entries.size() + added[b].size());
    std::size_t bytes = 0;
    for (const auto& e : entries) {
      if (removed_keys.contains(std::string(e.key))) continue;
      next.push_back(e);
      bytes += line_size(e);
    }
    for (const auto& e : added[b]) {
      next.push_back(e);
      bytes += line_size(e);
    }
    state.collections[Part{ch.path, b}] = lines_of(next, bytes);
  }
  *slot = protocol::collection_placeholder(*digest);
  return {};
}

}  // namespace

int bucket_of(std::string_view key) {
  std::uint32_t h = 2166136261u;
  for (char ch : key) {
    h ^= static_cast<unsigned char>(ch);
    h *= 16777619u;
  }
  return static_cast<int>(h % kBuckets);
}

Result<StoredInventory> split_inventory(json doc, const ItemSeen& seen) {
  StoredInventory out;
  out.whole = true;
  for (const auto& c : protocol::inventory_collections()) {
    json* items = protocol::find_inventory_path(doc, c.path);
    if (!items || !items->is_array()) continue;
    std::vector<NewItem> made;
    made.reserve(items->size());
    ItemsDigest sum;
    for (const auto& item : *items) {
      RELMAN_TRY(n, new_item(item, c));
      sum.add(n.digest);
      if (seen) seen(c.path, item, n.key, n.item);
      made.push_back(std::move(n));
    }
    std::map<int, std::vector<Entry>> buckets;
    std::map<int, std::size_t> bytes;
    for (const auto& m : made) {
      int b = bucket_of(m.key);
      Entry e{m.key, m.item, {}};
      buckets[b].push_back(e);
      bytes[b] += line_size(e);
    }
    for (auto& [b, entries] : buckets) {
      out.collections.emplace(Part{std::string(c.path), b}, lines_of(entries, bytes[b]));
    }
    *items = protocol::collection_placeholder(sum);
  }
  out.skeleton = std::move(doc);
  return out;
}

Result<SkeletonText> skeleton_text(const json& skeleton) {
  RELMAN_TRY(text, protocol::canonical_json(skeleton));
  RELMAN_TRY(md, protocol::text_digest(text));
  // The report hash is SHA-256 of the canonical skeleton: the lanes' bytes in order.
  return SkeletonText{std::move(text), md.hex()};
}

json assemble_inventory(json skeleton, const Parts& collections) {
  for (const auto& c : protocol::inventory_collections()) {
    json* slot = protocol::find_inventory_path(skeleton, c.path);
    if (!slot || !slot->is_string()) continue;
    if (!protocol::parse_collection_placeholder(slot->get_ref<const std::string&>())) continue;
    json items = json::array();
    for (auto it = collections.lower_bound(Part{std::string(c.path), 0});
         it != collections.end() && it->first.first == c.path; ++it) {
      auto entries = entries_of(it->second);
      if (!entries) continue;
      for (const auto& e : *entries) {
        auto item = json::parse(e.item, nullptr, false);
        if (!item.is_discarded()) items.push_back(std::move(item));
      }
    }
    *slot = std::move(items);
  }
  protocol::sort_inventory_collections(skeleton);
  return skeleton;
}

void add_lines(Parts& parts, const std::string& path, const std::vector<std::string>& lines) {
  std::map<int, std::vector<Entry>> buckets;
  for (const auto& line : lines) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;  // not a line: as unreadable lines, skipped
    std::string_view l(line);
    buckets[bucket_of(l.substr(0, tab))].push_back({l.substr(0, tab), l.substr(tab + 1), {}});
  }
  for (auto& [b, entries] : buckets) {
    auto& text = parts[Part{path, b}];
    auto before_now = entries_of(text);
    if (!before_now) {  // left unreadable, with the lines after it: apply_delta refuses it
      for (const auto& e : entries) append_line(text, e);
      continue;
    }
    entries.insert(entries.end(), before_now->begin(), before_now->end());
    std::size_t bytes = 0;
    for (const auto& e : entries) bytes += line_size(e);
    text = lines_of(entries, bytes);  // views into `lines` and the old text: built anew first
  }
}

std::optional<Needed> collections_needed(const protocol::InventoryChanges& changes, bool hardware) {
  auto replaces = [](std::string_view path) {
    const auto& all = protocol::inventory_collections();
    return std::any_of(all.begin(), all.end(), [&](const auto& c) {
      return protocol::inventory_path_covers(path, c.path);
    });
  };
  for (const auto& p : changes.unset) {
    if (replaces(p)) return std::nullopt;
  }
  for (const auto& s : changes.set) {
    if (replaces(s.path)) return std::nullopt;
  }
  Needed out;
  for (const auto& items : changes.items) {
    const auto* c = protocol::find_inventory_collection(items.path);
    if (!c) continue;  // apply_delta refuses it
    for (const auto* list : {&items.added, &items.removed, &items.changed}) {
      for (const auto& item : *list) {
        auto key = key_text(item, *c);
        if (!key) continue;
        out.parts.emplace(items.path, bucket_of(*key));
        auto name = item.find("name");
        out.keys.push_back({items.path,
                            name != item.end() && name->is_string() ? name->get<std::string>() : "",
                            std::move(*key)});
      }
    }
  }
  if (hardware) {
    out.parts.emplace("/facts/disks/disks", kAllBuckets);
    out.parts.emplace("/facts/network/interfaces", kAllBuckets);
  }
  return out;
}

Result<void> apply_delta(StoredInventory& state, const protocol::InventoryChanges& changes) {
  if (!collections_needed(changes, false)) {
    if (!state.whole) {
      return fail("inventory.delta_invalid",
                  "the delta replaces collections but not every collection was loaded");
    }
    auto doc = assemble_inventory(std::move(state.skeleton), state.collections);
    RELMAN_TRY(applied, protocol::apply_inventory_changes(std::move(doc), changes));
    RELMAN_TRY(split, split_inventory(std::move(applied)));
    state = std::move(split);
    return {};
  }
  for (const auto& path : changes.unset) {
    std::string member;
    json* parent = parent_of(state.skeleton, path, member);
    if (!parent || !parent->contains(member)) {
      return fail("inventory.delta_invalid", "unsets a member the base report does not have", path);
    }
    parent->erase(member);
  }
  for (const auto& s : changes.set) {
    std::string member;
    json* parent = parent_of(state.skeleton, s.path, member);
    if (!parent) {
      return fail("inventory.delta_invalid", "sets a member under no object of the base report",
                  s.path);
    }
    (*parent)[member] = s.value;
  }
  for (const auto& items : changes.items) RELMAN_CHECK(apply_items(state, items));
  return {};
}

}  // namespace relman::controller::inventory
