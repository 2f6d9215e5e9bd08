// Packages relman itself installed on this host, from the installer's state (name -> version)
// and the install root: when a package's <install_root>/<name>/current link was last switched
// is when its version was installed (lstat, the link is not followed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct RelmanPackage {
  std::string name;
  std::string version;
  std::int64_t installed_at = 0;  // unix seconds; 0 when the link is missing

  nlohmann::json to_json() const;
};

struct RelmanPackages {
  std::vector<RelmanPackage> packages;  // sorted by name

  nlohmann::json to_json() const;
};

// `installed` is Installer::installed_packages(). Never throws.
RelmanPackages collect_relman_packages(const std::map<std::string, std::string>& installed,
                                       const std::filesystem::path& install_root);

}  // namespace relman::agent::inventory
