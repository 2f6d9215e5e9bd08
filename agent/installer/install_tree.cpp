#include "agent/installer/install_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "packaging/version.hpp"

namespace relman::agent {
namespace fs = std::filesystem;

Result<void> fsync_directory(const fs::path& dir, const std::string& error_code) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(error_code, std::strerror(errno), dir.string());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail(error_code, std::strerror(err), dir.string());
  return ok();
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string s;
  for (int i = 0; i < 16; ++i, v >>= 4) s += kHex[v & 0xf];
  return s;
}

Result<void> sync_filesystem(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("io.sync_failed", std::strerror(errno), dir.string());
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail("io.sync_failed", std::strerror(err), dir.string());
  return ok();
}

Result<std::string> read_current(const fs::path& package_dir) {
  fs::path current = package_dir / "current";
  std::error_code ec;
  auto st = fs::symlink_status(current, ec);
  if (ec || st.type() == fs::file_type::not_found) return std::string();
  if (st.type() != fs::file_type::symlink) {
    return fail("install.current_invalid", "is not a symlink; relman manages this path",
                current.string());
  }
  fs::path target = fs::read_symlink(current, ec);
  if (ec) return fail("install.current_invalid", ec.message(), current.string());
  return target.filename().string();
}

Result<void> switch_current(const fs::path& package_dir, const std::string& version) {
  fs::path current = package_dir / "current";
  std::error_code ec;
  if (version.empty()) {
    fs::remove(current, ec);
    if (ec) return fail("install.switch_failed", ec.message(), current.string());
  } else {
    fs::path tmp = package_dir / (".current-" + random_suffix());
    fs::create_symlink(version, tmp, ec);
    if (ec) return fail("install.switch_failed", ec.message(), tmp.string());
    fs::rename(tmp, current, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return fail("install.switch_failed", ec.message(), current.string());
    }
  }
  return fsync_directory(package_dir);
}

void remove_leftovers(const fs::path& install_root, const std::set<fs::path>& keep) {
  std::error_code ec;
  for (const auto& package : fs::directory_iterator(install_root, ec)) {
    std::error_code pec;
    if (!package.is_directory(pec) || package.is_symlink(pec)) continue;
    for (const auto& entry : fs::directory_iterator(package.path(), pec)) {
      auto name = entry.path().filename().string();
      bool ours = name.starts_with(".staging-") || name.starts_with(".previous-") ||
                  name.starts_with(".current-");
      if (!ours || keep.contains(entry.path())) continue;
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
}

std::set<std::string> remove_versions_except(const fs::path& package_dir,
                                             const std::set<std::string>& keep) {
  std::set<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(package_dir, ec)) {
    std::error_code eec;
    auto name = entry.path().filename().string();
    if (name == "current" || keep.contains(name) || entry.is_symlink(eec) ||
        !entry.is_directory(eec) || !packaging::parse_version(name)) {
      continue;
    }
    fs::remove_all(entry.path(), eec);
    if (!eec) removed.insert(name);
  }
  return removed;
}

}  // namespace relman::agent
