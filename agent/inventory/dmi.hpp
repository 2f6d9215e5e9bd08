// Hardware identity from <root>/sys/class/dmi/id (SMBIOS via sysfs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct DmiInfo {
  std::string sys_vendor;
  std::string product_name;
  std::string product_serial;  // root-only on most kernels: "" when the agent cannot read it
  std::string product_uuid;    // root-only as well
  std::string bios_vendor;
  std::string bios_version;
  std::int64_t chassis_type = 0;  // SMBIOS chassis type number; 0 = not available
  std::string chassis;            // its name, e.g. "Rack Mount Chassis"; "" when unknown

  nlohmann::json to_json() const;
};

// SMBIOS 3.x chassis type name (DSP0134 7.4.1); "" for numbers outside the table.
std::string_view chassis_type_name(std::int64_t type);

// Never throws; missing or unreadable files give empty values.
DmiInfo collect_dmi(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
