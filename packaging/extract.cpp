#include "packaging/extract.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "packaging/disk_writer.hpp"

namespace relman::packaging {
namespace {

constexpr std::size_t kMaxNameLength = 4096;
constexpr std::size_t kReadBlockBytes = 1 << 20;

}  // namespace

Result<std::string> check_entry_path(std::string_view name) {
  const std::string ctx(name.substr(0, kMaxNameLength));
  if (name.size() > kMaxNameLength) {
    return fail("extract.invalid_name", "entry name is longer than 4096 bytes", ctx);
  }
  if (name.find('\0') != std::string_view::npos) {
    return fail("extract.invalid_name", "entry name holds a NUL byte", ctx);
  }
  if (!name.empty() && name.front() == '/') {
    return fail("extract.absolute_path", "entry name is an absolute path", ctx);
  }
  std::string clean;
  for (std::size_t start = 0;;) {
    std::size_t slash = name.find('/', start);
    auto c = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (c == "..") {
      return fail("extract.parent_reference", "entry name holds a '..' component", ctx);
    }
    if (!c.empty() && c != ".") {
      if (!clean.empty()) clean += '/';
      clean += c;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return clean;  // empty: the archive root itself ("." or "./")
}

Result<void> secure_extract(const std::filesystem::path& archive_path,
                            const std::filesystem::path& dest, const ExtractLimits& limits) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> in(archive_read_new(),
                                                                   archive_read_free);
  if (!in) return fail("extract.read_failed", "out of memory", archive_path.string());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    const char* msg = archive_error_string(in.get());
    return fail("extract.read_failed", msg ? msg : "cannot open archive", archive_path.string());
  }
  DiskWriter writer(dest, limits);
  if (auto r = writer.create(); !r) return r;  // nothing created, nothing to remove
  std::uint64_t headers = 0;
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* msg = archive_error_string(in.get());
      return fail("extract.read_failed", msg ? msg : "malformed archive", archive_path.string());
    }
    if (++headers > limits.max_entries) {
      return fail("extract.too_many_entries",
                  "archive holds more than " + std::to_string(limits.max_entries) + " entries",
                  archive_path.string());
    }
    const char* name = archive_entry_pathname(entry);
    if (!name) return fail("extract.invalid_name", "entry has no readable name");
    auto rel = check_entry_path(name);
    if (!rel) return fail(rel.error());
    if (rel->empty()) {
      if (archive_entry_filetype(entry) == AE_IFDIR) continue;  // the root itself
      return fail("extract.invalid_name", "entry has an empty name", name);
    }
    auto written = writer.write(in.get(), entry, *rel, archive_entry_perm(entry));
    if (!written) return fail(written.error());
  }
  return writer.finish();
}

}  // namespace relman::packaging
