#include "agent/inventory/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

namespace relman::agent::inventory {

std::string read_bounded(const std::filesystem::path& file, std::size_t max_bytes) {
  // O_NONBLOCK: a FIFO planted where a file should be must not hang the agent.
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  std::string out;
  char buf[16 * 1024];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // sysfs reports some unknown values (e.g. a down link's speed) as EINVAL
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string read_first_line(const std::filesystem::path& file) {
  std::string text = read_bounded(file, 64 * 1024);
  return std::string(trim(std::string_view(text).substr(0, text.find('\n'))));
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> list_dir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end && names.size() < kMaxDirEntries; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

LineStream::LineStream(const std::filesystem::path& file, std::uint64_t max_total_bytes)
    : fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)),
      remaining_(max_total_bytes),
      buf_(64 * 1024) {}

LineStream::~LineStream() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineStream::fill() {
  if (fd_ < 0 || eof_) return false;
  if (remaining_ == 0) {
    hit_limit_ = true;
    return false;
  }
  for (;;) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), remaining_));
    ssize_t n = ::read(fd_, buf_.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pos_ = 0;
    len_ = static_cast<std::size_t>(n);
    remaining_ -= len_;
    return true;
  }
}

bool LineStream::next(std::string& line) {
  line.clear();
  bool any = false;
  for (;;) {
    if (pos_ == len_ && !fill()) return any;
    any = true;
    const char* start = buf_.data() + pos_;
    const char* stop = buf_.data() + len_;
    const char* nl = std::find(start, stop, '\n');
    std::size_t room = kMaxLineBytes - std::min(line.size(), kMaxLineBytes);
    line.append(start, std::min(static_cast<std::size_t>(nl - start), room));
    if (nl != stop) {
      pos_ = static_cast<std::size_t>(nl - buf_.data()) + 1;
      return true;
    }
    pos_ = len_;
  }
}

}  // namespace relman::agent::inventory
