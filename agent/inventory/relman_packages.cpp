#include "agent/inventory/relman_packages.hpp"

#include <sys/stat.h>

namespace relman::agent::inventory {

nlohmann::json RelmanPackage::to_json() const {
  return {{"name", name}, {"version", version}, {"installed_at", installed_at}};
}

nlohmann::json RelmanPackages::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& p : packages) list.push_back(p.to_json());
  return {{"packages", list}};
}

RelmanPackages collect_relman_packages(const std::map<std::string, std::string>& installed,
                                       const std::filesystem::path& install_root) {
  RelmanPackages out;
  for (const auto& [name, version] : installed) {
    RelmanPackage p{name, version, 0};
    struct stat st {};
    auto link = install_root / name / "current";
    if (!install_root.empty() && ::lstat(link.c_str(), &st) == 0) p.installed_at = st.st_mtime;
    out.packages.push_back(std::move(p));
  }
  return out;
}

}  // namespace relman::agent::inventory
