// Block devices from <root>/sys/block: whole disks only (no partitions, which live below them),
// skipping loop, ram, zram and device-mapper nodes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct DiskInfo {
  std::string name;             // e.g. "sda", "nvme0n1"
  std::int64_t size_bytes = 0;  // "size" is in 512-byte sectors whatever the block size
  bool rotational = false;      // queue/rotational == 1
  std::string model;            // device/model; "" when absent
  std::string serial;           // device/serial (NVMe, some SCSI); "" when absent

  nlohmann::json to_json() const;
};

struct DisksInfo {
  std::vector<DiskInfo> disks;  // sorted by name

  nlohmann::json to_json() const;
};

// True for the virtual devices collect_disks skips (loop*, ram*, zram*, dm-*).
bool is_virtual_block_device(const std::string& name);

// Never throws; an unreadable attribute leaves its field empty.
DisksInfo collect_disks(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
