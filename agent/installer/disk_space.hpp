// The disk-space check the installer makes before it downloads: the package file goes to the
// state directory and its payload to the install root; each filesystem must hold what lands on
// it and still keep `keep_free` bytes free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace relman::agent {

struct FilesystemSpace {
  std::uint64_t device = 0;     // st_dev: equal for two paths on one filesystem
  std::uint64_t available = 0;  // bytes an unprivileged writer may still use (f_bavail)
};
using DiskProbe = std::function<Result<FilesystemSpace>(const std::filesystem::path&)>;

// statvfs + stat of `path`. io.statvfs_failed.
Result<FilesystemSpace> probe_filesystem(const std::filesystem::path& path);

struct DiskNeed {
  std::filesystem::path where;  // a directory that exists
  std::uint64_t bytes = 0;
  std::string what;  // "the download", "the installed files"
};

// agent.disk_full with the numbers (needed, free, kept free) and the paths in the message.
Result<void> check_disk_space(const std::vector<DiskNeed>& needs, std::uint64_t keep_free,
                              const DiskProbe& probe);

}  // namespace relman::agent
