// A daemon's JSON configuration file: read with a size limit, parsed as one object, and
// relative paths in it taken from the file's own directory.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::protocol {

struct ConfigFile {
  nlohmann::json doc;
  std::filesystem::path base;  // the file's directory
  // "" stays empty; absolute stays; relative is taken from `base`.
  std::filesystem::path resolve(const std::string& path) const;
};

// Errors: config.read_failed (with the file), protocol.* for the JSON.
Result<ConfigFile> read_config_file(const std::filesystem::path& file);

}  // namespace relman::protocol
