// Writes archive entries under one destination directory, refusing everything extract.hpp
// lists (links leaving the root, hard links, special files, oversized entries). Shared by
// secure_extract and install_payload. The destination is removed unless finish() succeeds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "packaging/extract.hpp"
#include "packaging/link_guard.hpp"
#include "protocol/error.hpp"

struct archive;
struct archive_entry;

namespace relman::packaging {

class DiskWriter {
 public:
  using DataSink = std::function<void(const void* data, std::size_t size)>;

  DiskWriter(std::filesystem::path dest, ExtractLimits limits);
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // Creates the destination (mode 0755); it must not exist (extract.destination_exists).
  Result<void> create();
  // Writes `entry` (read from `in`) at `rel`, a path already cleaned by check_entry_path, with
  // permission bits `mode` (made sane: no setuid/setgid/sticky, no group/other write). Every
  // data byte of a regular file passes through `sink` (holes as zeros) before this returns.
  // Returns the number of data bytes.
  Result<std::uint64_t> write(struct archive* in, struct archive_entry* entry,
                              const std::string& rel, std::uint32_t mode,
                              const DataSink& sink = {});
  // Applies deferred directory modes and keeps the destination.
  Result<void> finish();
  // Removes the destination and everything written into it.
  void discard();

 private:
  Result<std::uint64_t> copy_data(struct archive* in, struct archive_entry* out_entry,
                                  const std::string& rel, const DataSink& sink);

  std::filesystem::path dest_;
  ExtractLimits limits_;
  struct archive* out_ = nullptr;
  LinkGuard guard_;
  std::uint64_t entries_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool created_ = false;
  bool kept_ = false;
};

}  // namespace relman::packaging
