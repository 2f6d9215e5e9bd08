#include "controller/inventory/reconcile_plan.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "protocol/canonical_json.hpp"

namespace relman::controller::inventory {
namespace {
using nlohmann::json;

struct SoftwareList {
  std::string_view manager;
  std::string_view path;  // a keyed collection of protocol::inventory_collections()
};

constexpr std::array<SoftwareList, 3> kSoftwareLists = {{
    {"dpkg", "/facts/software/dpkg/packages"},
    {"rpm", "/facts/software/rpm/packages"},
    {"relman", "/facts/software/relman/packages"},
}};

// Paths whose facts make hardware CIs (the names carry the hostname too).
constexpr std::array<std::string_view, 5> kHardwarePaths = {
    "/facts/cpu", "/facts/memory", "/facts/disks", "/facts/network", "/hostname"};

std::string text(const json& item, const char* key) {
  auto it = item.find(key);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t number(const json& item, const char* key) {
  auto it = item.find(key);
  if (it == item.end()) return 0;
  if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
  return it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// rpm's version is "version-release" (the epoch is not part of rpm's item key, so removals
// could not name it).
std::string version_of(std::string_view manager, const json& item) {
  std::string v = text(item, "version");
  if (manager == "rpm") {
    auto release = text(item, "release");
    if (!release.empty()) v += "-" + release;
  }
  return v;
}

SoftwarePackage package_of(std::string_view manager, const json& item) {
  return SoftwarePackage{std::string(manager), text(item, "name"), text(item, "architecture"),
                         version_of(manager, item)};
}

bool touches(std::string_view changed, std::string_view path) {
  return protocol::inventory_path_covers(changed, path) ||
         protocol::inventory_path_covers(path, changed);
}

const json* at(const json& doc, std::string_view pointer) {
  const json* node = &doc;
  std::size_t start = 1;
  while (start <= pointer.size()) {
    auto end = pointer.find('/', start);
    if (end == std::string_view::npos) end = pointer.size();
    auto key = std::string(pointer.substr(start, end - start));
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    start = end + 1;
  }
  return node;
}

json hardware_attributes(const char* kind) { return json{{"kind", kind}}; }

// A new item's stored line; empty when it has no canonical form (apply_delta refuses it first).
std::string line_of(const json& item, std::string_view path) {
  const auto* c = protocol::find_inventory_collection(path);
  if (!c) return {};
  auto key = protocol::canonical_json(protocol::inventory_item_key(item, *c));
  auto text = protocol::canonical_json(item);
  if (!key || !text) return {};
  return *key + '\t' + *text;
}
}  // namespace

std::optional<std::string_view> software_manager(std::string_view path) {
  for (const auto& list : kSoftwareLists) {
    if (list.path == path) return list.manager;
  }
  return std::nullopt;
}

std::optional<std::string_view> software_list(std::string_view manager) {
  for (const auto& list : kSoftwareLists) {
    if (list.manager == manager) return list.path;
  }
  return std::nullopt;
}

std::optional<SoftwarePackage> software_item(std::string_view manager, const json& item) {
  if (!item.is_object()) return std::nullopt;
  auto p = package_of(manager, item);
  if (p.name.empty()) return std::nullopt;
  return p;
}

std::vector<SoftwarePackage> software_in(const json& doc) {
  std::vector<SoftwarePackage> out;
  for (const auto& list : kSoftwareLists) {
    const json* items = at(doc, list.path);
    if (!items || !items->is_array()) continue;
    out.reserve(out.size() + items->size());
    for (const auto& item : *items) {
      if (auto p = software_item(list.manager, item)) out.push_back(std::move(*p));
    }
  }
  return out;
}

std::vector<HardwareItem> hardware_in(const std::string& agent_id, const json& doc) {
  std::vector<HardwareItem> out;
  const std::string host =
      doc.is_object() && !text(doc, "hostname").empty() ? text(doc, "hostname") : agent_id;
  const std::string local = "agent:" + agent_id + "/";
  if (const json* cpu = at(doc, "/facts/cpu"); cpu && cpu->is_object()) {
    if (!text(*cpu, "model").empty() || number(*cpu, "threads") > 0) {
      auto a = hardware_attributes("cpu");
      a["model"] = text(*cpu, "model");
      a["sockets"] = number(*cpu, "sockets");
      a["cores"] = number(*cpu, "cores");
      a["threads"] = number(*cpu, "threads");
      out.push_back({local + "cpu", host + " cpu", std::move(a)});
    }
  }
  if (const json* mem = at(doc, "/facts/memory"); mem && mem->is_object()) {
    if (auto mib = number(*mem, "total_mib"); mib > 0) {
      auto a = hardware_attributes("memory");
      a["size_bytes"] = mib * 1024 * 1024;
      out.push_back({local + "memory", host + " memory", std::move(a)});
    }
  }
  if (const json* disks = at(doc, "/facts/disks/disks"); disks && disks->is_array()) {
    for (const auto& d : *disks) {
      if (!d.is_object() || text(d, "name").empty()) continue;
      auto serial = text(d, "serial");
      auto a = hardware_attributes("disk");
      a["model"] = text(d, "model");
      a["serial"] = serial;
      a["size_bytes"] = number(d, "size_bytes");
      a["rotational"] = number(d, "rotational");
      // A disk with a serial is the same CI wherever it turns up; one without is the host's.
      out.push_back({serial.empty() ? local + "disk/" + text(d, "name") : "disk:" + serial,
                     host + " " + text(d, "name"), std::move(a)});
    }
  }
  if (const json* nics = at(doc, "/facts/network/interfaces"); nics && nics->is_array()) {
    for (const auto& n : *nics) {
      auto mac = text(n, "mac");
      if (!n.is_object() || mac.empty() || mac == "00:00:00:00:00:00") continue;  // lo, tunnels
      auto a = hardware_attributes("nic");
      a["mac"] = mac;
      a["interface"] = text(n, "name");
      a["speed_mbps"] = number(n, "speed_mbps");
      out.push_back({"nic:" + mac, host + " " + text(n, "name"), std::move(a)});
    }
  }
  return out;
}

ReconcilePlan plan_full(const std::string& agent_id, const json& doc) {
  ReconcilePlan plan;
  plan.software_full = true;
  plan.software = software_in(doc);
  plan.hardware = true;
  plan.hardware_items = hardware_in(agent_id, doc);
  return plan;
}

bool touches_hardware(const protocol::InventoryChanges& changes) {
  auto hits = [](std::string_view path) {
    return std::any_of(kHardwarePaths.begin(), kHardwarePaths.end(),
                       [&](std::string_view hw) { return touches(path, hw); });
  };
  return std::any_of(changes.unset.begin(), changes.unset.end(), hits) ||
         std::any_of(changes.set.begin(), changes.set.end(),
                     [&](const auto& s) { return hits(s.path); }) ||
         std::any_of(changes.items.begin(), changes.items.end(),
                     [&](const auto& i) { return hits(i.path); });
}

ReconcilePlan plan_delta(const std::string& agent_id, const protocol::InventoryChanges& changes,
                         const json& doc) {
  ReconcilePlan plan;
  auto note_path = [&](std::string_view path) {
    for (const auto& list : kSoftwareLists) {
      if (protocol::inventory_path_covers(path, list.path)) plan.software_full = true;
    }
  };
  plan.hardware = touches_hardware(changes);
  for (const auto& p : changes.unset) note_path(p);
  for (const auto& s : changes.set) note_path(s.path);
  for (const auto& items : changes.items) {
    const SoftwareList* list = nullptr;
    for (const auto& l : kSoftwareLists) {
      if (items.path == l.path) list = &l;
    }
    if (!list) {
      note_path(items.path);
      continue;
    }
    for (const auto& item : items.added) {
      plan.software.push_back(package_of(list->manager, item));
      plan.software_lines.push_back(line_of(item, items.path));
    }
    for (const auto& item : items.changed) {
      auto p = package_of(list->manager, item);
      plan.software_gone.push_back({p.manager, p.name, p.architecture, "", p.version});
      plan.software.push_back(std::move(p));
      plan.software_lines.push_back(line_of(item, items.path));
    }
    for (const auto& key : items.removed) {
      auto p = package_of(list->manager, key);
      // Only rpm names the version in its key; the others leave with whatever version they had.
      plan.software_gone.push_back(
          {p.manager, p.name, p.architecture, list->manager == "rpm" ? p.version : "", ""});
    }
  }
  if (plan.software_full) {
    plan.software = software_in(doc);
    plan.software_lines.clear();  // a replaced list is stored in parts (inventory_intake.cpp)
    plan.software_gone.clear();
  }
  if (plan.hardware) plan.hardware_items = hardware_in(agent_id, doc);
  return plan;
}

}  // namespace relman::controller::inventory
