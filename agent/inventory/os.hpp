// Operating-system facts: <root>/etc/os-release, kernel release, boot time, time zone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct OsInfo {
  std::string id;                // os-release ID, e.g. "debian"
  std::string version_id;        // VERSION_ID, e.g. "12"
  std::string pretty_name;       // PRETTY_NAME
  std::string version_codename;  // VERSION_CODENAME, e.g. "bookworm"
  std::string kernel;            // <root>/proc/sys/kernel/osrelease
  std::int64_t boot_time = 0;    // unix seconds ("btime" in <root>/proc/stat); 0 = unknown
  std::string timezone;          // <root>/etc/timezone, else the /etc/localtime link target
                                 // after "zoneinfo/", e.g. "Europe/Lisbon"

  nlohmann::json to_json() const;
};

// Falls back to <root>/usr/lib/os-release (os-release(5)). Never throws; missing files give
// empty values, malformed lines are skipped.
OsInfo collect_os(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
