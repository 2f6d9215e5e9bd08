#include "agent/inventory/dmi.hpp"

#include <array>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

std::string_view chassis_type_name(std::int64_t type) {
  static constexpr std::array<std::string_view, 37> kNames = {
      "",
      "Other",
      "Unknown",
      "Desktop",
      "Low Profile Desktop",
      "Pizza Box",
      "Mini Tower",
      "Tower",
      "Portable",
      "Laptop",
      "Notebook",
      "Hand Held",
      "Docking Station",
      "All in One",
      "Sub Notebook",
      "Space-saving",
      "Lunch Box",
      "Main Server Chassis",
      "Expansion Chassis",
      "SubChassis",
      "Bus Expansion Chassis",
      "Peripheral Chassis",
      "RAID Chassis",
      "Rack Mount Chassis",
      "Sealed-case PC",
      "Multi-system chassis",
      "Compact PCI",
      "AdvancedTCA",
      "Blade",
      "Blade Enclosure",
      "Tablet",
      "Convertible",
      "Detachable",
      "IoT Gateway",
      "Embedded PC",
      "Mini PC",
      "Stick PC",
  };
  if (type < 0 || type >= static_cast<std::int64_t>(kNames.size())) return {};
  return kNames[static_cast<std::size_t>(type)];
}

nlohmann::json DmiInfo::to_json() const {
  return {{"sys_vendor", sys_vendor},         {"product_name", product_name},
          {"product_serial", product_serial}, {"product_uuid", product_uuid},
          {"bios_vendor", bios_vendor},       {"bios_version", bios_version},
          {"chassis_type", chassis_type},     {"chassis", chassis}};
}

DmiInfo collect_dmi(const std::filesystem::path& root) {
  const auto dir = root / "sys/class/dmi/id";
  DmiInfo dmi;
  dmi.sys_vendor = read_first_line(dir / "sys_vendor");
  dmi.product_name = read_first_line(dir / "product_name");
  dmi.product_serial = read_first_line(dir / "product_serial");
  dmi.product_uuid = read_first_line(dir / "product_uuid");
  dmi.bios_vendor = read_first_line(dir / "bios_vendor");
  dmi.bios_version = read_first_line(dir / "bios_version");
  // The low 7 bits are the type; bit 7 is the chassis lock flag.
  if (auto t = parse_int(read_first_line(dir / "chassis_type")); t && *t > 0) {
    dmi.chassis_type = *t & 0x7f;
    dmi.chassis = std::string(chassis_type_name(dmi.chassis_type));
  }
  return dmi;
}

}  // namespace relman::agent::inventory
