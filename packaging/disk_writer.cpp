#include "packaging/disk_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace relman::packaging {
namespace {

constexpr std::size_t kZeroBlock = 64 * 1024;

std::string archive_message(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? std::string(s) : std::string("unknown libarchive error");
}

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

}  // namespace

DiskWriter::DiskWriter(std::filesystem::path dest, ExtractLimits limits)
    : dest_(std::move(dest)), limits_(limits) {}

DiskWriter::~DiskWriter() {
  if (!kept_) discard();
}

Result<void> DiskWriter::create() {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(dest_, ec);
  if (ec) return fail("extract.write_failed", "cannot resolve destination", dest_.string());
  // Resolve symlinks in the parent once, so libarchive's symlink checks see a real path.
  auto parent = std::filesystem::weakly_canonical(absolute.parent_path(), ec);
  if (ec) return fail("extract.write_failed", "cannot resolve destination", dest_.string());
  dest_ = parent / absolute.filename();
  if (::mkdir(dest_.c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return fail("extract.destination_exists", "destination already exists", dest_.string());
    }
    return fail("extract.write_failed",
                std::string("cannot create destination: ") + std::strerror(errno), dest_.string());
  }
  created_ = true;
  ::chmod(dest_.c_str(), 0755);  // whatever the umask
  out_ = archive_write_disk_new();
  if (!out_) return fail("extract.write_failed", "out of memory", dest_.string());
  // No SECURE_NOABSOLUTEPATHS: every name is prefixed with the absolute destination here, and
  // absolute names in the archive are refused by check_entry_path before they get this far.
  int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
              ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_NO_OVERWRITE;
  if (archive_write_disk_set_options(out_, flags) != ARCHIVE_OK) {
    return fail("extract.write_failed", archive_message(out_), dest_.string());
  }
  return ok();
}

Result<std::uint64_t> DiskWriter::write(struct archive* in, struct archive_entry* entry,
                                        const std::string& rel, std::uint32_t mode,
                                        const DataSink& sink) {
  if (!out_) return fail("extract.write_failed", "destination not created", rel);
  if (++entries_ > limits_.max_entries) {
    return fail("extract.too_many_entries",
                "archive holds more than " + std::to_string(limits_.max_entries) + " entries", rel);
  }
  if (archive_entry_hardlink(entry) != nullptr) {
    return fail("extract.hardlink_refused", "hard links are not allowed", rel);
  }
  EntryPtr out_entry(archive_entry_new(), archive_entry_free);
  if (!out_entry) return fail("extract.write_failed", "out of memory", rel);
  archive_entry_set_pathname(out_entry.get(), (dest_ / rel).c_str());
  const auto type = archive_entry_filetype(entry);
  mode &= 0755;
  switch (type) {
    case AE_IFDIR:
      if (auto r = guard_.add_entry(rel, true); !r) return fail(r.error());
      archive_entry_set_filetype(out_entry.get(), AE_IFDIR);
      archive_entry_set_perm(out_entry.get(), mode | 0700);
      break;
    case AE_IFREG: {
      if (auto r = guard_.add_entry(rel, false); !r) return fail(r.error());
      if (archive_entry_size_is_set(entry)) {
        auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
        if (archive_entry_size(entry) < 0 || size > limits_.max_entry_bytes) {
          return fail("extract.too_large", "entry is larger than the limit", rel);
        }
        if (size > limits_.max_total_bytes - total_bytes_) {  // total_bytes_ <= the limit
          return fail("extract.too_large", "archive is larger than the total limit", rel);
        }
        archive_entry_set_size(out_entry.get(), archive_entry_size(entry));
      }
      archive_entry_set_filetype(out_entry.get(), AE_IFREG);
      archive_entry_set_perm(out_entry.get(), mode);
      break;
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (auto r = guard_.add_link(rel, target ? target : ""); !r) return fail(r.error());
      archive_entry_set_filetype(out_entry.get(), AE_IFLNK);
      archive_entry_set_perm(out_entry.get(), 0777);
      archive_entry_set_symlink(out_entry.get(), target);
      break;
    }
    default:
      return fail("extract.special_file",
                  "device files, FIFOs, sockets and other special files are not allowed", rel);
  }
  if (archive_write_header(out_, out_entry.get()) < ARCHIVE_WARN) {
    return fail("extract.write_failed", archive_message(out_), rel);
  }
  std::uint64_t bytes = 0;
  if (type == AE_IFREG) {
    auto copied = copy_data(in, out_entry.get(), rel, sink);
    if (!copied) return copied;
    bytes = *copied;
  }
  if (archive_write_finish_entry(out_) < ARCHIVE_WARN) {
    return fail("extract.write_failed", archive_message(out_), rel);
  }
  return bytes;
}

Result<std::uint64_t> DiskWriter::copy_data(struct archive* in, struct archive_entry* out_entry,
                                            const std::string& rel, const DataSink& sink) {
  static const std::vector<char> zeros(kZeroBlock, '\0');
  auto feed_zeros = [&](std::uint64_t n) {
    while (n > 0) {
      auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, zeros.size()));
      if (sink) sink(zeros.data(), k);
      n -= k;
    }
  };
  std::uint64_t done = 0;  // bytes passed to the sink, holes included
  for (;;) {
    const void* buf = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(in, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return fail("extract.read_failed", archive_message(in), rel);
    }
    if (offset < 0 || static_cast<std::uint64_t>(offset) < done) {
      return fail("extract.read_failed", "entry data blocks overlap", rel);
    }
    auto end = static_cast<std::uint64_t>(offset) + size;
    // Sizes are enforced on what arrives, not on what the header claims.
    if (end > limits_.max_entry_bytes) {
      return fail("extract.too_large", "entry is larger than the limit", rel);
    }
    if (total_bytes_ + (end - done) > limits_.max_total_bytes) {
      return fail("extract.too_large", "archive is larger than the total limit", rel);
    }
    total_bytes_ += end - done;
    feed_zeros(static_cast<std::uint64_t>(offset) - done);
    if (sink && size > 0) sink(buf, size);
    done = end;
    if (size > 0 && archive_write_data_block(out_, buf, size, offset) < ARCHIVE_WARN) {
      return fail("extract.write_failed", archive_message(out_), rel);
    }
  }
  // A trailing hole: the file on disk is extended to the header size with zeros.
  if (archive_entry_size_is_set(out_entry)) {
    auto size = static_cast<std::uint64_t>(archive_entry_size(out_entry));
    if (size > done) {
      total_bytes_ += size - done;
      if (total_bytes_ > limits_.max_total_bytes) {
        return fail("extract.too_large", "archive is larger than the total limit", rel);
      }
      feed_zeros(size - done);
      done = size;
    }
  }
  return done;
}

Result<void> DiskWriter::finish() {
  if (out_) {
    int r = archive_write_close(out_);
    std::string msg = r < ARCHIVE_WARN ? archive_message(out_) : std::string();
    archive_write_free(out_);
    out_ = nullptr;
    if (r < ARCHIVE_WARN) {
      discard();
      return fail("extract.write_failed", msg, dest_.string());
    }
  }
  kept_ = true;
  return ok();
}

void DiskWriter::discard() {
  if (out_) {
    archive_write_free(out_);
    out_ = nullptr;
  }
  if (created_) {
    std::error_code ec;
    std::filesystem::remove_all(dest_, ec);
    created_ = false;
  }
}

}  // namespace relman::packaging
