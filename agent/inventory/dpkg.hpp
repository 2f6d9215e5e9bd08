// Installed Debian packages from <root>/var/lib/dpkg/status, read as a stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

inline constexpr std::size_t kMaxDpkgPackages = 100'000;
// A status file with 100,000 packages is ~300 MB at most; stop reading past this.
inline constexpr std::uint64_t kMaxDpkgStatusBytes = 512ull << 20;

struct DpkgPackage {
  std::string name;                     // Package
  std::string version;                  // Version
  std::string architecture;             // Architecture, e.g. "amd64", "all"
  std::int64_t installed_size_kib = 0;  // Installed-Size; 0 when absent

  nlohmann::json to_json() const;
};

struct DpkgInfo {
  std::vector<DpkgPackage> packages;  // status "install ok installed" only, in file order
  bool truncated = false;             // stopped at kMaxDpkgPackages or kMaxDpkgStatusBytes

  nlohmann::json to_json() const;
};

// Never throws; a missing file gives an empty list, a stanza without a name is skipped.
DpkgInfo collect_dpkg(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
