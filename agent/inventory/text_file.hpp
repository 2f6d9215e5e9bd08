// Bounded, non-throwing reads of the small text files (/proc, /sys, /etc) the inventory
// collectors parse. A missing or unreadable file reads as "" — inventory is best effort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relman::agent::inventory {

inline constexpr std::size_t kMaxCollectorFileBytes = 4 << 20;
// Directory listings (/sys/block, /sys/class/net) stop after this many entries.
inline constexpr std::size_t kMaxDirEntries = 4096;

// At most max_bytes of the file; "" when it cannot be opened or read.
std::string read_bounded(const std::filesystem::path& file,
                         std::size_t max_bytes = kMaxCollectorFileBytes);

// The first line of the file, trimmed; "" when unreadable (sysfs attributes, one value each).
std::string read_first_line(const std::filesystem::path& file);

std::string_view trim(std::string_view s);

// The whole (trimmed) text as a decimal integer; nullopt for anything else.
std::optional<std::int64_t> parse_int(std::string_view s);

// Sorted names of the entries of dir (at most kMaxDirEntries); empty when it cannot be listed.
std::vector<std::string> list_dir(const std::filesystem::path& dir);

// Calls f(line) for each line of text (without the '\n').
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Reads a file line by line without holding it in memory (dpkg's status file can be tens of
// MB). Stops after max_total_bytes; a line longer than kMaxLineBytes is cut to that length.
class LineStream {
 public:
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;

  LineStream(const std::filesystem::path& file, std::uint64_t max_total_bytes);
  ~LineStream();
  LineStream(const LineStream&) = delete;
  LineStream& operator=(const LineStream&) = delete;

  // The next line (without '\n') into `line`; false at end of file, on error or at the limit.
  bool next(std::string& line);
  // True when reading stopped at max_total_bytes rather than at end of file.
  bool hit_limit() const { return hit_limit_; }

 private:
  bool fill();

  int fd_ = -1;
  std::uint64_t remaining_;
  bool hit_limit_ = false;
  bool eof_ = false;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
};

}  // namespace relman::agent::inventory
