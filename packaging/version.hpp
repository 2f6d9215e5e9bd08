// Package versions: Semantic Versioning 2.0.0, with its precedence rules (pre-release sorts
// before the release; numeric identifiers compare numerically and before alphanumeric ones;
// build metadata is ignored for ordering).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::packaging {

struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers
  std::string build;                    // after '+', ignored in ordering
  std::string text() const;
};

// version.invalid with a message saying which part is wrong. No leading zeros, no "v" prefix,
// at most 128 characters.
Result<Version> parse_version(std::string_view text);

// <0, 0, >0 like strcmp.
int compare_versions(const Version& a, const Version& b);

}  // namespace relman::packaging
