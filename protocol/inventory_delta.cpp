#include "protocol/inventory_delta.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "protocol/canonical_json.hpp"

namespace relman::protocol {
namespace {

using nlohmann::json;

const InventoryCollection* find_collection(std::string_view path) {
  for (const auto& c : inventory_collections()) {
    if (c.path == path) return &c;
  }
  return nullptr;
}

std::string escape_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// The reference tokens of a JSON Pointer; nullopt when it is not one (RFC 6901).
std::optional<std::vector<std::string>> split_pointer(const std::string& path) {
  try {
    json::json_pointer ptr(path);
    std::vector<std::string> tokens;
    while (!ptr.empty()) {
      tokens.insert(tokens.begin(), ptr.back());
      ptr.pop_back();
    }
    return tokens;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// The object that holds the member `path` names (walking objects only), and that member's name.
json* parent_object(json& doc, const std::string& path, std::string& member) {
  auto tokens = split_pointer(path);
  if (!tokens || tokens->empty()) return nullptr;
  json* at = &doc;
  for (std::size_t i = 0; i + 1 < tokens->size(); ++i) {
    if (!at->is_object()) return nullptr;
    auto it = at->find((*tokens)[i]);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  if (!at->is_object()) return nullptr;
  member = tokens->back();
  return at;
}

json* find_path(json& doc, std::string_view path) {
  auto tokens = split_pointer(std::string(path));
  if (!tokens) return nullptr;
  json* at = &doc;
  for (const auto& t : *tokens) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(t);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

bool is_keyed_item(const json& item, const InventoryCollection& c) {
  if (!item.is_object()) return false;
  return std::all_of(c.keys.begin(), c.keys.end(),
                     [&](std::string_view k) { return item.contains(k); });
}

json item_key(const json& item, const InventoryCollection& c) {
  json key = json::array();
  for (auto k : c.keys) key.push_back(item.at(k));
  return key;
}

json key_fields(const json& item, const InventoryCollection& c) {
  json out = json::object();
  for (auto k : c.keys) out[std::string(k)] = item.at(k);
  return out;
}

// key -> item, or nullopt when an item is not a keyed object or a key repeats.
std::optional<std::map<json, const json*>> index_items(const json& array,
                                                       const InventoryCollection& c) {
  std::map<json, const json*> index;
  for (const auto& item : array) {
    if (!is_keyed_item(item, c)) return std::nullopt;
    if (!index.emplace(item_key(item, c), &item).second) return std::nullopt;
  }
  return index;
}

// Keys first, then content, so that even duplicate keys sort the same way on both sides.
void sort_collection(json& array, const InventoryCollection& c) {
  std::vector<std::pair<json, json>> keyed;
  keyed.reserve(array.size());
  for (auto& item : array) {
    json key = inventory_item_key(item, c);
    keyed.emplace_back(std::move(key), std::move(item));
  }
  std::sort(keyed.begin(), keyed.end());
  json sorted = json::array();
  for (auto& [key, item] : keyed) sorted.push_back(std::move(item));
  array = std::move(sorted);
}

void sort_collections(json& doc) {
  for (const auto& c : inventory_collections()) {
    json* array = find_path(doc, c.path);
    if (array && array->is_array()) sort_collection(*array, c);
  }
}

void diff_into(const json& base, const json& current, const std::string& path,
               InventoryChanges& out) {
  for (const auto& [name, value] : base.items()) {
    if (!current.contains(name)) out.unset.push_back(path + "/" + escape_token(name));
  }
  for (const auto& [name, value] : current.items()) {
    std::string member = path + "/" + escape_token(name);
    auto it = base.find(name);
    if (it == base.end()) {
      out.set.push_back({member, value});
      continue;
    }
    const json& old = *it;
    if (const auto* c = find_collection(member); c && old.is_array() && value.is_array()) {
      auto before = index_items(old, *c);
      auto after = index_items(value, *c);
      if (before && after) {
        InventoryItemChanges items{member, {}, {}, {}};
        for (const auto& [key, item] : *after) {
          auto b = before->find(key);
          if (b == before->end()) {
            items.added.push_back(*item);
          } else if (*b->second != *item) {
            items.changed.push_back(*item);
          }
        }
        for (const auto& [key, item] : *before) {
          if (!after->contains(key)) items.removed.push_back(key_fields(*item, *c));
        }
        if (!items.added.empty() || !items.removed.empty() || !items.changed.empty()) {
          out.items.push_back(std::move(items));
        }
        continue;
      }
    }
    if (old.is_object() && value.is_object()) {
      diff_into(old, value, member, out);
    } else if (old != value) {
      out.set.push_back({member, value});
    }
  }
}

Result<void> apply_items(json& doc, const InventoryItemChanges& ch) {
  const auto* c = find_collection(ch.path);
  auto invalid = [&](const std::string& why) {
    return fail("inventory.delta_invalid", why, ch.path);
  };
  if (!c) return invalid("not a keyed collection");
  json* array = find_path(doc, ch.path);
  if (!array || !array->is_array()) return invalid("the base report has no such collection");
  auto index = index_items(*array, *c);
  if (!index) return invalid("the base collection's items are not uniquely keyed");

  std::map<json, const json*> replaced;  // key -> new content, or nullptr when removed
  for (const auto& r : ch.removed) {
    if (!is_keyed_item(r, *c) || !index->contains(item_key(r, *c))) {
      return invalid("removes an item the base report does not have: " + r.dump());
    }
    if (!replaced.emplace(item_key(r, *c), nullptr).second) {
      return invalid("names an item twice: " + r.dump());
    }
  }
  for (const auto& item : ch.changed) {
    if (!is_keyed_item(item, *c) || !index->contains(item_key(item, *c))) {
      return invalid("changes an item the base report does not have: " + item.dump());
    }
    if (!replaced.emplace(item_key(item, *c), &item).second) {
      return invalid("names an item twice: " + item.dump());
    }
  }
  std::map<json, const json*> added;
  for (const auto& item : ch.added) {
    if (!is_keyed_item(item, *c)) return invalid("adds an item without its key fields");
    auto key = item_key(item, *c);
    if (index->contains(key) || !added.emplace(key, &item).second) {
      return invalid("adds an item that is already there: " + key.dump());
    }
  }
  json merged = json::array();
  for (const auto& [key, item] : *index) {
    auto r = replaced.find(key);
    if (r == replaced.end()) {
      merged.push_back(*item);
    } else if (r->second) {
      merged.push_back(*r->second);
    }
  }
  for (const auto& [key, item] : added) merged.push_back(*item);
  *array = std::move(merged);
  return ok();
}

}  // namespace

const std::vector<InventoryCollection>& inventory_collections() {
  static const std::vector<InventoryCollection> kCollections = {
      {"/facts/software/dpkg/packages", {"name", "architecture"}},
      // rpm installs several versions of one name side by side (kernels): the key is NVRA.
      {"/facts/software/rpm/packages", {"name", "version", "release", "architecture"}},
      {"/facts/software/relman/packages", {"name"}},
      {"/facts/services/units", {"name"}},
      {"/facts/network/interfaces", {"name"}},
      {"/facts/disks/disks", {"name"}},
      {"/facts/filesystems/filesystems", {"mount_point"}},
  };
  return kCollections;
}

bool InventoryChanges::empty() const { return entry_count() == 0; }

std::size_t InventoryChanges::entry_count() const {
  std::size_t n = unset.size() + set.size();
  for (const auto& i : items) n += i.added.size() + i.removed.size() + i.changed.size();
  return n;
}

void normalize_inventory(json& doc) {
  doc = json::parse(doc.dump(-1, ' ', false, json::error_handler_t::replace));
  sort_collections(doc);
}

const InventoryCollection* find_inventory_collection(std::string_view path) {
  return find_collection(path);
}

bool inventory_path_covers(std::string_view p, std::string_view path) {
  return p.empty() || p == path ||
         (path.size() > p.size() && path.starts_with(p) && path[p.size()] == '/');
}

json* find_inventory_path(json& doc, std::string_view pointer) { return find_path(doc, pointer); }

bool is_keyed_inventory_item(const json& item, const InventoryCollection& c) {
  return is_keyed_item(item, c);
}

json inventory_item_key(const json& item, const InventoryCollection& c) {
  json key = json::array();
  for (auto k : c.keys) key.push_back(item.is_object() ? item.value(k, json()) : json());
  return key;
}

void sort_inventory_collections(json& doc) { sort_collections(doc); }

InventoryChanges diff_inventory(const json& base, const json& current) {
  InventoryChanges out;
  if (base.is_object() && current.is_object()) diff_into(base, current, "", out);
  return out;
}

Result<json> apply_inventory_changes(json doc, const InventoryChanges& changes) {
  if (!doc.is_object()) return fail("inventory.delta_invalid", "the base report is not an object");
  for (const auto& path : changes.unset) {
    std::string member;
    json* parent = parent_object(doc, path, member);
    if (!parent || !parent->contains(member)) {
      return fail("inventory.delta_invalid", "unsets a member the base report does not have", path);
    }
    parent->erase(member);
  }
  for (const auto& s : changes.set) {
    std::string member;
    json* parent = parent_object(doc, s.path, member);
    if (!parent) {
      return fail("inventory.delta_invalid", "sets a member under no object of the base report",
                  s.path);
    }
    (*parent)[member] = s.value;
  }
  for (const auto& items : changes.items) RELMAN_CHECK(apply_items(doc, items));
  sort_collections(doc);  // values from a decoded message are valid UTF-8 already
  return doc;
}

void write_inventory_changes(const InventoryChanges& changes, json& out) {
  out["unset"] = changes.unset;
  json set = json::array();
  for (const auto& s : changes.set) set.push_back({{"path", s.path}, {"value", s.value}});
  out["set"] = std::move(set);
  json items = json::array();
  for (const auto& i : changes.items) {
    items.push_back(
        {{"path", i.path}, {"added", i.added}, {"removed", i.removed}, {"changed", i.changed}});
  }
  out["items"] = std::move(items);
}

Result<InventoryChanges> read_inventory_changes(const json& message) {
  InventoryChanges out;
  std::size_t entries = 0;
  auto wrong = [](std::string code, std::string message, std::string field) {
    return fail(std::move(code), std::move(message), std::move(field));
  };
  auto read_path = [&](const json& v, const std::string& field) -> Result<std::string> {
    if (!v.is_string()) return wrong("protocol.wrong_type", "path must be a string", field);
    const auto& p = v.get_ref<const std::string&>();
    if (p.size() > kMaxInventoryPathLength) {
      return wrong("protocol.too_long",
                   "path is longer than " + std::to_string(kMaxInventoryPathLength) + " bytes",
                   field);
    }
    auto tokens = split_pointer(p);
    if (!tokens || tokens->empty()) {
      return wrong("protocol.invalid_value", "path must be a JSON Pointer below the report", field);
    }
    return p;
  };
  auto array_at = [&](const json& obj, const char* key,
                      const std::string& field) -> Result<const json*> {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return static_cast<const json*>(nullptr);
    if (!it->is_array()) return wrong("protocol.wrong_type", "field must be an array", field);
    entries += it->size();
    if (entries > kMaxInventoryDeltaEntries) {
      return wrong(
          "protocol.too_long",
          "a delta holds at most " + std::to_string(kMaxInventoryDeltaEntries) + " entries", field);
    }
    return &*it;
  };

  RELMAN_TRY(unset, array_at(message, "unset", "unset"));
  if (unset) {
    for (std::size_t i = 0; i < unset->size(); ++i) {
      RELMAN_TRY(p, read_path((*unset)[i], "unset[" + std::to_string(i) + "]"));
      out.unset.push_back(std::move(p));
    }
  }
  RELMAN_TRY(set, array_at(message, "set", "set"));
  if (set) {
    for (std::size_t i = 0; i < set->size(); ++i) {
      const json& s = (*set)[i];
      std::string field = "set[" + std::to_string(i) + "]";
      if (!s.is_object() || !s.contains("path") || !s.contains("value")) {
        return wrong("protocol.invalid_value", "a set entry is {\"path\", \"value\"}", field);
      }
      RELMAN_TRY(p, read_path(s["path"], field + ".path"));
      out.set.push_back({std::move(p), s["value"]});
    }
  }
  RELMAN_TRY(items, array_at(message, "items", "items"));
  if (items) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      const json& it = (*items)[i];
      std::string field = "items[" + std::to_string(i) + "]";
      if (!it.is_object()) return wrong("protocol.wrong_type", "must be an object", field);
      RELMAN_TRY(p, read_path(it.value("path", json()), field + ".path"));
      const auto* c = find_collection(p);
      if (!c) {
        return wrong("protocol.invalid_value", "'" + p + "' is not a keyed collection",
                     field + ".path");
      }
      InventoryItemChanges ch{std::move(p), {}, {}, {}};
      for (auto [key, list] : {std::pair{"added", &ch.added}, std::pair{"removed", &ch.removed},
                               std::pair{"changed", &ch.changed}}) {
        std::string list_field = field + "." + key;
        RELMAN_TRY(array, array_at(it, key, list_field));
        if (!array) continue;
        for (std::size_t j = 0; j < array->size(); ++j) {
          if (!is_keyed_item((*array)[j], *c)) {
            return wrong("protocol.invalid_value", "an item must be an object with its key fields",
                         list_field + "[" + std::to_string(j) + "]");
          }
          list->push_back((*array)[j]);
        }
      }
      out.items.push_back(std::move(ch));
    }
  }
  return out;
}

}  // namespace relman::protocol
