// manifest.json: what a package is and holds. It is the document publishers sign (in its
// canonical form), so parsing is strict: unknown fields and anything malformed are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "packaging/version.hpp"
#include "protocol/error.hpp"

namespace relman::packaging {

inline constexpr int kManifestSchema = 1;

struct ManifestFile {
  std::string path;  // relative, '/'-separated, no "..", no leading '/', no empty components
  std::uint64_t size = 0;
  std::string sha256;         // lowercase hex
  std::uint32_t mode = 0644;  // permission bits only (<= 0777)
};

struct ManifestLink {
  std::string path;    // same rules as ManifestFile::path
  std::string target;  // relative; must resolve inside the package root
};

struct Hooks {
  std::string pre_install;  // shell command run in the new version's directory, may be empty
  std::string post_install;
  std::string health_check;
  std::int64_t timeout_seconds = 60;  // 1..3600, per command
};

struct Manifest {
  int schema = kManifestSchema;
  std::string name;      // [a-z0-9][a-z0-9._+-]{0,63}
  std::string version;   // semver (see version.hpp)
  std::string platform;  // e.g. "linux-x86_64", or "any"
  // "archive": extracted into a versioned directory; "deb": exactly one file, a .deb that the
  // agent installs with dpkg
  std::string payload_kind = "archive";
  std::string description;          // may be empty, <= 4096 bytes
  std::vector<ManifestFile> files;  // sorted by path, unique
  std::vector<ManifestLink> links;  // sorted by path, unique, disjoint from files
  Hooks hooks;
};

// Errors: manifest.invalid (context = field), protocol.* from the field reader.
Result<Manifest> manifest_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Manifest& m);
// The signed bytes: canonical_json(to_json(m)).
std::string canonical_manifest(const Manifest& m);
std::string manifest_sha256(const Manifest& m);

bool is_valid_package_name(std::string_view name);
// Path rule shared with extraction: relative, no "..", "." or empty components, no NUL,
// <= 4096 bytes.
bool is_safe_relative_path(std::string_view path);

}  // namespace relman::packaging
