// Mounted filesystems from <root>/proc/mounts, limited to ones that hold data (ext4, xfs,
// btrfs, vfat, zfs, NFS, ...); kernel and memory filesystems (proc, sysfs, tmpfs, cgroup,
// overlay, ...) are left out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct MountedFilesystem {
  std::string device;                 // e.g. "/dev/sda1", "server:/export"
  std::string mount_point;            // octal escapes (\040 for space) decoded
  std::string type;                   // e.g. "ext4"
  bool read_only = false;             // "ro" among the options
  std::uint64_t size_bytes = 0;       // statvfs, only when root is "/" and not a
                                      // network filesystem; 0 otherwise
  std::uint64_t available_bytes = 0;  // space an unprivileged user can still use

  nlohmann::json to_json() const;
};

struct FilesystemsInfo {
  std::vector<MountedFilesystem> filesystems;  // in /proc/mounts order

  nlohmann::json to_json() const;
};

// True for the filesystem types collect_filesystems reports.
bool is_data_filesystem(std::string_view type);

// Never throws; a missing file gives an empty list, a malformed line is skipped. Sizes are
// looked up with statvfs only when root is "/" (a fixture's mount points are not real).
FilesystemsInfo collect_filesystems(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
