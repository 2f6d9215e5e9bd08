#include "agent/inventory/filesystems.hpp"

#include <sys/statvfs.h>

#include <array>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {
namespace {

// An allow-list: new virtual filesystem types appear every few kernel releases.
constexpr std::array<std::string_view, 24> kDataFilesystems = {
    "ext2",    "ext3",    "ext4", "xfs",  "btrfs", "vfat",     "exfat",    "ntfs",
    "ntfs3",   "fuseblk", "zfs",  "f2fs", "jfs",   "reiserfs", "bcachefs", "hfsplus",
    "iso9660", "udf",     "nfs",  "nfs4", "cifs",  "smb3",     "ceph",     "glusterfs"};

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string decode_mount_field(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// statvfs on a network filesystem whose server is gone blocks without a timeout.
bool is_network_filesystem(std::string_view type) {
  return type == "nfs" || type == "nfs4" || type == "cifs" || type == "smb3" || type == "ceph" ||
         type == "glusterfs";
}

}  // namespace

nlohmann::json MountedFilesystem::to_json() const {
  return {
      {"device", device},       {"mount_point", mount_point}, {"type", type},
      {"read_only", read_only}, {"size_bytes", size_bytes},   {"available_bytes", available_bytes}};
}

nlohmann::json FilesystemsInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& fs : filesystems) list.push_back(fs.to_json());
  return {{"filesystems", list}};
}

bool is_data_filesystem(std::string_view type) {
  for (auto t : kDataFilesystems) {
    if (t == type) return true;
  }
  return false;
}

FilesystemsInfo collect_filesystems(const std::filesystem::path& root) {
  FilesystemsInfo out;
  const bool live = root == std::filesystem::path("/");
  for_each_line(read_bounded(root / "proc/mounts"), [&](std::string_view line) {
    // device mount_point type options dump pass
    std::array<std::string_view, 4> f;
    std::size_t n = 0;
    while (n < f.size()) {
      line = trim(line);
      if (line.empty()) break;
      auto sp = line.find_first_of(" \t");
      f[n++] = line.substr(0, sp);
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp);
    }
    if (n < f.size() || !is_data_filesystem(f[2])) return;
    MountedFilesystem fs;
    fs.device = decode_mount_field(f[0]);
    fs.mount_point = decode_mount_field(f[1]);
    fs.type = std::string(f[2]);
    std::string_view opts = f[3];
    fs.read_only = opts == "ro" || opts.starts_with("ro,");
    if (live && !is_network_filesystem(fs.type)) {
      struct statvfs st {};
      if (::statvfs(fs.mount_point.c_str(), &st) == 0) {
        fs.size_bytes = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
        fs.available_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
      }
    }
    out.filesystems.push_back(std::move(fs));
  });
  return out;
}

}  // namespace relman::agent::inventory
