#include "agent/installer/disk_space.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

namespace relman::agent {

namespace {
std::string mib(std::uint64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}
}  // namespace

Result<FilesystemSpace> probe_filesystem(const std::filesystem::path& path) {
  struct statvfs vfs {};
  struct stat st {};
  if (::statvfs(path.c_str(), &vfs) != 0 || ::stat(path.c_str(), &st) != 0) {
    return fail("io.statvfs_failed", std::string("cannot read free space: ") + std::strerror(errno),
                path.string());
  }
  return FilesystemSpace{static_cast<std::uint64_t>(st.st_dev),
                         static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
}

Result<void> check_disk_space(const std::vector<DiskNeed>& needs, std::uint64_t keep_free,
                              const DiskProbe& probe) {
  struct Filesystem {
    FilesystemSpace space;
    std::uint64_t needed = 0;
    std::string what;
  };
  std::map<std::uint64_t, Filesystem> by_device;
  for (const auto& need : needs) {
    auto space = probe(need.where);
    if (!space) return fail(space.error());
    auto& fs = by_device[space->device];
    fs.space = *space;
    fs.needed += need.bytes;
    fs.what += (fs.what.empty() ? "" : " and ") + need.what + " in " + need.where.string();
  }
  for (const auto& [device, fs] : by_device) {
    if (fs.space.available >= keep_free && fs.space.available - keep_free >= fs.needed) continue;
    return fail("agent.disk_full",
                "not enough disk space: " + fs.what + " need " + mib(fs.needed) + " (" +
                    std::to_string(fs.needed) + " bytes), the filesystem has " +
                    mib(fs.space.available) + " free and " + mib(keep_free) +
                    " must stay free (min_free_space_mb)",
                fs.what);
  }
  return ok();
}

}  // namespace relman::agent
