// Secure extraction of tar archives. Refuses, with a code naming the reason and the entry:
// absolute names (extract.absolute_path), ".." components (extract.parent_reference), links
// whose target escapes the destination (extract.link_escapes), hard links
// (extract.hardlink_refused), device files, FIFOs and sockets (extract.special_file), entries
// larger than the limits (extract.too_large), too many entries (extract.too_many_entries).
// On any refusal the destination directory is removed: nothing half-written is left.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::packaging {

struct ExtractLimits {
  std::uint64_t max_entry_bytes = 4ull << 30;
  std::uint64_t max_total_bytes = 16ull << 30;
  std::uint64_t max_entries = 100000;
};

// Checks one entry name; returns the cleaned relative path ("./a//b" -> "a/b").
Result<std::string> check_entry_path(std::string_view name);

// Extracts every entry of `archive` (tar, optionally compressed) into `dest`, which must not
// exist yet (extract.destination_exists) and is created with mode 0755.
Result<void> secure_extract(const std::filesystem::path& archive, const std::filesystem::path& dest,
                            const ExtractLimits& limits = {});

}  // namespace relman::packaging
