// systemd units from their unit files, as systemd itself finds them: <root>/etc/systemd/system
// (the administrator's, first) and <root>/usr/lib/systemd/system, <root>/lib/systemd/system
// (the vendor's; lib is skipped when it is a symlink, as on merged-/usr systems, so nothing is
// followed out of root). Enablement comes from the symlinks in etc/systemd/system/*.wants and
// *.requires; a unit file that is a symlink to /dev/null is masked; a running unit has
// <root>/run/systemd/units/invocation:<name>. No D-Bus, no systemctl.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

inline constexpr std::size_t kMaxSystemdUnits = 10'000;
inline constexpr std::size_t kMaxUnitFileBytes = 64 * 1024;
inline constexpr std::size_t kMaxUnitNameLength = 256;

struct SystemdUnit {
  std::string name;  // "nginx.service", "getty@.service"
  // enabled | disabled | static (no [Install]) | masked (-> /dev/null) | alias (a symlink to
  // another unit's file)
  std::string state;
  bool active = false;                 // running now (live systems; fixture trees may say so too)
  std::string source;                  // "etc" (administrator) or "lib" (vendor)
  std::string description;             // Description=
  std::vector<std::string> wanted_by;  // targets whose .wants/.requires link it, sorted

  nlohmann::json to_json() const;
};

struct SystemdInfo {
  std::vector<SystemdUnit> units;  // sorted by name
  bool truncated = false;          // stopped at kMaxSystemdUnits

  nlohmann::json to_json() const;
};

// A unit name systemd would load: printable ASCII without '/', a known type suffix, at most
// kMaxUnitNameLength bytes.
bool is_unit_name(std::string_view name);

// Never throws; unreadable files and odd names are skipped.
SystemdInfo collect_systemd(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
