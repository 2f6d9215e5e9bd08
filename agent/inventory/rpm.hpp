// Installed rpm packages from the rpm database <root>/var/lib/rpm/rpmdb.sqlite (rpm >= 4.16;
// also <root>/usr/lib/sysimage/rpm/ on newer distributions), read with SQLite, read-only. Each
// row of the Packages table is an rpm header blob; only the tags below are read, and every
// index, offset and length in the blob is checked against the blob before it is used, because
// the file is just bytes on disk to us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

inline constexpr std::size_t kMaxRpmPackages = 100'000;
inline constexpr std::size_t kMaxRpmHeaderBytes = 64 << 20;  // rpm's own limit is 256 MiB
inline constexpr std::size_t kMaxRpmStringBytes = 4096;

struct RpmPackage {
  std::string name;
  std::int64_t epoch = -1;  // -1: none
  std::string version;
  std::string release;
  std::string architecture;  // "" for gpg-pubkey pseudo packages
  std::string summary;
  std::int64_t installed_size = 0;  // bytes
  std::int64_t install_time = 0;    // unix seconds

  nlohmann::json to_json() const;
};

struct RpmInfo {
  bool present = false;  // an rpm database was found
  std::vector<RpmPackage> packages;
  std::int64_t skipped = 0;  // header blobs that did not parse
  bool truncated = false;    // stopped at kMaxRpmPackages
  std::string error;         // why the database could not be read ("" when it could)

  nlohmann::json to_json() const;
};

// One header blob as stored in rpmdb.sqlite (no lead, no magic: il, dl, index, data; big
// endian). nullopt when it is malformed or has no name.
std::optional<RpmPackage> parse_rpm_header(std::string_view blob);

// Never throws. No database: present = false. A database that cannot be opened or is not an
// rpm database: present = true with `error` set.
RpmInfo collect_rpm(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
