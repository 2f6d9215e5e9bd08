#include "agent/inventory/basic_inventory.hpp"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>

namespace relman::agent {
namespace {

// At most kMaxInventoryFileBytes of the file; "" when it cannot be read.
std::string read_bounded(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  std::string out;
  char buf[16 * 1024];
  while (out.size() < kMaxInventoryFileBytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, kMaxInventoryFileBytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls f(line) for each line of text.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// os-release values may be quoted ("..." or '...') with backslash escapes inside double quotes.
std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    char q = v.front();
    v = v.substr(1, v.size() - 2);
    if (q == '\'') return std::string(v);
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return std::string(v);
}

std::string first_line(const std::string& text) {
  return std::string(trim(std::string_view(text).substr(0, text.find('\n'))));
}

}  // namespace

protocol::InventoryReport collect_basic_inventory(const std::filesystem::path& root) {
  protocol::InventoryReport report;
  const bool live = root == std::filesystem::path("/");

  for_each_line(read_bounded(root / "etc/os-release"), [&](std::string_view line) {
    line = trim(line);
    auto eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) return;
    auto key = line.substr(0, eq);
    auto value = line.substr(eq + 1);
    if (key == "ID") report.os_id = unquote(value);
    if (key == "VERSION_ID") report.os_version = unquote(value);
    if (key == "PRETTY_NAME") report.os_pretty = unquote(value);
  });

  report.hostname = first_line(read_bounded(root / "proc/sys/kernel/hostname"));
  if (report.hostname.empty() && live) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) report.hostname = name;
  }
  report.kernel = first_line(read_bounded(root / "proc/sys/kernel/osrelease"));

  if (live) {
    utsname u{};
    if (::uname(&u) == 0) {
      report.architecture = u.machine;
      if (report.kernel.empty()) report.kernel = u.release;
    }
  } else {
    report.architecture = first_line(read_bounded(root / "proc/sys/kernel/arch"));
  }

  for_each_line(read_bounded(root / "proc/cpuinfo"), [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = trim(line.substr(0, colon));
    if (key == "processor") ++report.cpu_count;
    if (key == "model name" && report.cpu_model.empty()) {
      report.cpu_model = std::string(trim(line.substr(colon + 1)));
    }
  });

  for_each_line(read_bounded(root / "proc/meminfo"), [&](std::string_view line) {
    if (!line.starts_with("MemTotal:")) return;
    auto v = trim(line.substr(9));
    std::int64_t kb = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), kb);
    if (ec == std::errc() && kb > 0) report.memory_mb = kb / 1024;
  });
  return report;
}

}  // namespace relman::agent
