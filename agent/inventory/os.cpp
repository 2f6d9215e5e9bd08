#include "agent/inventory/os.hpp"

#include <string_view>
#include <system_error>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {
namespace {

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

std::string timezone_of(const std::filesystem::path& root) {
  std::string tz = read_first_line(root / "etc/timezone");
  if (!tz.empty()) return tz;
  // Not followed: the link is absolute and would leave a fixture root.
  std::error_code ec;
  std::string target = std::filesystem::read_symlink(root / "etc/localtime", ec).string();
  if (ec) return {};
  auto at = target.rfind("zoneinfo/");
  if (at == std::string::npos) return {};
  tz = target.substr(at + 9);
  if (tz.starts_with("posix/")) tz.erase(0, 6);
  return tz;
}

}  // namespace

nlohmann::json OsInfo::to_json() const {
  return {{"id", id},
          {"version_id", version_id},
          {"pretty_name", pretty_name},
          {"version_codename", version_codename},
          {"kernel", kernel},
          {"boot_time", boot_time},
          {"timezone", timezone}};
}

OsInfo collect_os(const std::filesystem::path& root) {
  OsInfo os;
  std::string release = read_bounded(root / "etc/os-release");
  if (release.empty()) release = read_bounded(root / "usr/lib/os-release");
  for_each_line(release, [&](std::string_view line) {
    line = trim(line);
    auto eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) return;
    auto key = line.substr(0, eq);
    auto value = line.substr(eq + 1);
    if (key == "ID") os.id = unquote(value);
    if (key == "VERSION_ID") os.version_id = unquote(value);
    if (key == "PRETTY_NAME") os.pretty_name = unquote(value);
    if (key == "VERSION_CODENAME") os.version_codename = unquote(value);
  });

  os.kernel = read_first_line(root / "proc/sys/kernel/osrelease");

  for_each_line(read_bounded(root / "proc/stat"), [&](std::string_view line) {
    if (!line.starts_with("btime ")) return;
    if (auto t = parse_int(line.substr(6)); t && *t > 0) os.boot_time = *t;
  });

  os.timezone = timezone_of(root);
  return os;
}

}  // namespace relman::agent::inventory
