#include "agent/inventory/systemd.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <system_error>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 11> kUnitSuffixes = {
    ".service", ".socket", ".timer", ".target", ".mount", ".automount",
    ".path",    ".slice",  ".scope", ".swap",   ".device"};

bool ends_with_suffix(std::string_view name) {
  return std::any_of(kUnitSuffixes.begin(), kUnitSuffixes.end(), [&](std::string_view s) {
    return name.size() > s.size() && name.ends_with(s);
  });
}

// "getty@tty1.service" -> "getty@.service"; other names unchanged.
std::string template_of(const std::string& name) {
  auto at = name.find('@');
  auto dot = name.rfind('.');
  if (at == std::string::npos || dot == std::string::npos || dot < at) return name;
  return name.substr(0, at + 1) + name.substr(dot);
}

struct UnitFile {
  fs::path path;
  std::string source;
};

void read_unit_file(const fs::path& file, SystemdUnit& unit) {
  bool install = false;
  for_each_line(read_bounded(file, kMaxUnitFileBytes), [&](std::string_view raw) {
    auto line = trim(raw);
    if (line == "[Install]") install = true;
    if (unit.description.empty() && line.starts_with("Description=")) {
      unit.description = std::string(trim(line.substr(12)).substr(0, kMaxUnitNameLength));
    }
  });
  unit.state = install ? "disabled" : "static";
}

}  // namespace

bool is_unit_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxUnitNameLength || name.front() == '.') return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == '/' || c == '\\') return false;
  }
  return ends_with_suffix(name);
}

nlohmann::json SystemdUnit::to_json() const {
  return {{"name", name},
          {"state", state},
          {"active", active},
          {"source", source},
          {"description", description},
          {"wanted_by", wanted_by}};
}

nlohmann::json SystemdInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& u : units) list.push_back(u.to_json());
  return {{"units", list}, {"truncated", truncated}};
}

SystemdInfo collect_systemd(const fs::path& root) {
  SystemdInfo out;
  std::error_code ec;
  std::vector<std::pair<fs::path, std::string>> dirs = {{root / "etc/systemd/system", "etc"},
                                                        {root / "usr/lib/systemd/system", "lib"}};
  if (!fs::is_symlink(root / "lib", ec)) dirs.emplace_back(root / "lib/systemd/system", "lib");

  // Unit name -> the file systemd would load (the first directory wins).
  std::map<std::string, UnitFile> files;
  // Unit name (or its template) -> targets that want it.
  std::map<std::string, std::set<std::string>> wanted;
  for (const auto& [dir, source] : dirs) {
    for (const auto& name : list_dir(dir)) {
      fs::path entry = dir / name;
      bool link_dir = (name.ends_with(".wants") || name.ends_with(".requires")) &&
                      fs::is_directory(fs::symlink_status(entry, ec));
      if (link_dir && source == "etc") {
        std::string target = name.substr(0, name.rfind('.'));
        for (const auto& linked : list_dir(entry)) {
          if (!is_unit_name(linked)) continue;
          wanted[linked].insert(target);
          if (auto t = template_of(linked); t != linked) wanted[t].insert(target);
        }
        continue;
      }
      if (!is_unit_name(name) || files.contains(name)) continue;
      auto st = fs::symlink_status(entry, ec);
      if (ec || !(fs::is_regular_file(st) || fs::is_symlink(st))) continue;
      if (files.size() >= kMaxSystemdUnits) {
        out.truncated = true;
        continue;
      }
      files.emplace(name, UnitFile{entry, source});
    }
  }

  for (const auto& [name, file] : files) {
    SystemdUnit unit;
    unit.name = name;
    unit.source = file.source;
    std::error_code link_ec;
    auto st = fs::symlink_status(file.path, link_ec);
    if (fs::is_symlink(st)) {
      // Read the link, never follow it: an absolute target means the host's file, not root's.
      auto target = fs::read_symlink(file.path, link_ec);
      if (!link_ec && target == "/dev/null") {
        unit.state = "masked";
      } else if (auto other = target.filename().string(); is_unit_name(other) && other != name) {
        unit.state = "alias";  // another name for `other`, which is listed on its own
      } else {
        fs::path resolved = (target.is_absolute() ? root / target.relative_path()
                                                  : file.path.parent_path() / target)
                                .lexically_normal();
        auto rel = resolved.lexically_relative(root.lexically_normal());
        bool in_root = !rel.empty() && *rel.begin() != "..";
        if (in_root && !fs::is_symlink(resolved, link_ec)) read_unit_file(resolved, unit);
        if (unit.state.empty()) unit.state = "static";
      }
    } else {
      read_unit_file(file.path, unit);
    }
    if (auto w = wanted.find(name);
        w != wanted.end() && unit.state != "masked" && unit.state != "alias") {
      unit.state = "enabled";
      unit.wanted_by.assign(w->second.begin(), w->second.end());
    }
    unit.active = fs::is_symlink(root / "run/systemd/units" / ("invocation:" + name), link_ec);
    out.units.push_back(std::move(unit));
  }
  return out;
}

}  // namespace relman::agent::inventory
