// What an accepted inventory report changes in the CMDB, as pure logic: the software packages
// the host has (one software CI per manager + name + architecture + version, shared by every
// host that runs it, `installed_on` the host) and its hardware components (one hardware CI each,
// `part_of` the host). The store applies a plan inside the transaction that stores the report.
//
// A full report names everything the host has: the store reconciles the CMDB to exactly that.
// A delta names what changed: the store touches only those packages (and the hardware CIs whose
// facts changed; the few hardware CIs of a host are compared, unchanged ones are not written).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/inventory_delta.hpp"

namespace relman::controller::inventory {

struct SoftwarePackage {
  std::string manager;  // dpkg | rpm | relman
  std::string name;
  std::string architecture;  // empty where the manager has none (relman)
  std::string version;       // rpm: [epoch:]version-release

  bool operator==(const SoftwarePackage&) const = default;
};

// A package leaving the host: every version of manager/name/architecture except
// `keep_version` (a changed item's new version), or only `version` when it is set (rpm names
// the version in its key).
struct SoftwareGone {
  std::string manager;
  std::string name;
  std::string architecture;
  std::string version;       // empty: any version
  std::string keep_version;  // empty: none kept

  bool operator==(const SoftwareGone&) const = default;
};

struct HardwareItem {
  std::string key;   // the CI's source key: "disk:<serial>", "nic:<mac>", "agent:<id>/cpu"...
  std::string name;  // "<hostname> cpu", "<hostname> sda"...
  nlohmann::json attributes;  // fits the built-in class "hardware"

  bool operator==(const HardwareItem&) const = default;
};

struct ReconcilePlan {
  bool software_full = false;             // `software` is everything the host has
  std::vector<SoftwarePackage> software;  // full: all; delta: added or changed (new version)
  // Each package's item line ("<key>\t<item>", controller/inventory/stored_inventory.hpp), in
  // the order of `software`, for a store that keeps the items in the host's installed rows;
  // empty when the plan does not carry them.
  std::vector<std::string> software_lines;
  std::vector<SoftwareGone> software_gone;  // delta only
  bool hardware = false;                    // reconcile hardware to exactly `hardware_items`
  std::vector<HardwareItem> hardware_items;
  // Package names whose appearance on the host (in `software`, new there) is audited as
  // inventory.blacklisted_software.
  std::vector<std::string> blacklist;
};

// The package manager whose list the keyed collection `path` is (dpkg, rpm, relman); nullopt
// for any other path.
std::optional<std::string_view> software_manager(std::string_view path);
// The keyed collection that is `manager`'s list; nullopt for an unknown manager.
std::optional<std::string_view> software_list(std::string_view manager);

// The package an item of `manager`'s list stands for; nullopt when the item is not an object
// with a name (it makes no software CI).
std::optional<SoftwarePackage> software_item(std::string_view manager, const nlohmann::json& item);

// The packages and hardware in a report document (protocol::inventory_document).
std::vector<SoftwarePackage> software_in(const nlohmann::json& doc);
std::vector<HardwareItem> hardware_in(const std::string& agent_id, const nlohmann::json& doc);

// Whether a delta changes a fact that hardware CIs are made of (plan_delta then reads the
// hardware from its document).
bool touches_hardware(const protocol::InventoryChanges& changes);

// A full report: everything in `doc`.
ReconcilePlan plan_full(const std::string& agent_id, const nlohmann::json& doc);

// A delta that turned a stored report into `doc`: the package items it adds, removes or
// changes (with their lines); hardware when it touches a hardware fact. A change that replaces a
// whole software list ("set" on it or above it) makes the software part full. `doc` is read only
// then and for hardware.
ReconcilePlan plan_delta(const std::string& agent_id, const protocol::InventoryChanges& changes,
                         const nlohmann::json& doc);

}  // namespace relman::controller::inventory
