#include "agent/inventory/disks.hpp"

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

nlohmann::json DiskInfo::to_json() const {
  return {{"name", name},
          {"size_bytes", size_bytes},
          {"rotational", rotational},
          {"model", model},
          {"serial", serial}};
}

nlohmann::json DisksInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& d : disks) list.push_back(d.to_json());
  return {{"disks", list}};
}

bool is_virtual_block_device(const std::string& name) {
  return name.starts_with("loop") || name.starts_with("ram") || name.starts_with("zram") ||
         name.starts_with("dm-");
}

DisksInfo collect_disks(const std::filesystem::path& root) {
  DisksInfo out;
  const auto block = root / "sys/block";
  for (const auto& name : list_dir(block)) {
    if (is_virtual_block_device(name)) continue;
    const auto dir = block / name;
    DiskInfo disk;
    disk.name = name;
    // Sector count stays far below 2^54 for any real disk; reject what would overflow.
    if (auto sectors = parse_int(read_first_line(dir / "size"));
        sectors && *sectors > 0 && *sectors < (std::int64_t{1} << 54)) {
      disk.size_bytes = *sectors * 512;
    }
    disk.rotational = read_first_line(dir / "queue/rotational") == "1";
    disk.model = read_first_line(dir / "device/model");
    disk.serial = read_first_line(dir / "device/serial");
    out.disks.push_back(std::move(disk));
  }
  return out;
}

}  // namespace relman::agent::inventory
