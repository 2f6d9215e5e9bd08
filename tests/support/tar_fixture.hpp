// Crafts tar archives entry by entry with libarchive, including the hostile ones a secure
// extractor must refuse, and rewrites packages (for tampering tests). Tests only.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace relman::test {

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO, AE_IFCHR
  unsigned mode = 0644;
  std::string data;      // regular files
  std::string target;    // symlinks
  std::string hardlink;  // when set: a hard link to this name
};

inline TarEntry tar_file(std::string name, std::string data, unsigned mode = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.mode = mode;
  return e;
}

inline TarEntry tar_dir(std::string name, unsigned mode = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.mode = mode;
  return e;
}

inline TarEntry tar_symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.mode = 0777;
  e.target = std::move(target);
  return e;
}

inline TarEntry tar_hardlink(std::string name, std::string to) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(to);
  return e;
}

inline TarEntry tar_special(std::string name, unsigned type) {
  TarEntry e;
  e.name = std::move(name);
  e.type = type;
  return e;
}

inline void write_tar(const std::filesystem::path& file, const std::vector<TarEntry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_none(a);
  if (archive_write_open_filename(a, file.c_str()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot open " + file.string());
  }
  for (const auto& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.mode);
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.target.c_str());
    if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
    archive_entry_set_size(entry, e.type == AE_IFREG && e.hardlink.empty()
                                      ? static_cast<la_int64_t>(e.data.size())
                                      : 0);
    if (archive_write_header(a, entry) != ARCHIVE_OK) {
      throw std::runtime_error(std::string("write_header: ") + archive_error_string(a));
    }
    if (!e.data.empty() && e.hardlink.empty()) {
      archive_write_data(a, e.data.data(), e.data.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

inline std::vector<TarEntry> read_tar(const std::filesystem::path& file) {
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw std::runtime_error("cannot open " + file.string());
  }
  std::vector<TarEntry> out;
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    TarEntry e;
    e.name = archive_entry_pathname(entry);
    e.type = archive_entry_filetype(entry);
    e.mode = archive_entry_perm(entry);
    if (e.type == AE_IFLNK) e.target = archive_entry_symlink(entry);
    char buf[4096];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) {
      e.data.append(buf, static_cast<std::size_t>(n));
    }
    out.push_back(std::move(e));
  }
  archive_read_free(a);
  return out;
}

}  // namespace relman::test
