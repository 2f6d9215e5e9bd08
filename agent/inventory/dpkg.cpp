#include "agent/inventory/dpkg.hpp"

#include <string_view>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

nlohmann::json DpkgPackage::to_json() const {
  return {{"name", name},
          {"version", version},
          {"architecture", architecture},
          {"installed_size_kib", installed_size_kib}};
}

nlohmann::json DpkgInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& p : packages) list.push_back(p.to_json());
  return {{"packages", list}, {"truncated", truncated}};
}

DpkgInfo collect_dpkg(const std::filesystem::path& root) {
  DpkgInfo out;
  LineStream lines(root / "var/lib/dpkg/status", kMaxDpkgStatusBytes);
  DpkgPackage current;
  bool installed = false;
  auto end_stanza = [&] {
    if (installed && !current.name.empty()) {
      if (out.packages.size() < kMaxDpkgPackages) {
        out.packages.push_back(std::move(current));
      } else {
        out.truncated = true;  // one more installed package than the cap
      }
    }
    current = DpkgPackage{};
    installed = false;
  };

  std::string line;
  while (!out.truncated && lines.next(line)) {
    std::string_view l = line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) {
      end_stanza();
      continue;
    }
    if (l.front() == ' ' || l.front() == '\t') continue;  // continuation of a multi-line field
    auto colon = l.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = l.substr(0, colon);
    auto value = trim(l.substr(colon + 1));
    if (key == "Package") {
      current.name = std::string(value);
    } else if (key == "Status") {
      installed = value == "install ok installed";
    } else if (key == "Version") {
      current.version = std::string(value);
    } else if (key == "Architecture") {
      current.architecture = std::string(value);
    } else if (key == "Installed-Size") {
      if (auto kib = parse_int(value); kib && *kib >= 0) current.installed_size_kib = *kib;
    }
  }
  end_stanza();  // the last stanza need not end with a blank line
  if (lines.hit_limit()) out.truncated = true;
  return out;
}

}  // namespace relman::agent::inventory
