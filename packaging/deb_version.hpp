// Debian version ordering, as dpkg does it (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`;
// epochs compare numerically, upstream and revision with dpkg's algorithm (runs of digits
// numerically, other characters with letters before non-letters and `~` before everything, even
// the end). Used for installed-package facts (dpkg) and "minimum version" rules.
#pragma once

#include <cstddef>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::packaging {

inline constexpr std::size_t kMaxDebVersionLength = 128;

// <0, 0, >0 like strcmp. Total over all strings, never fails: a part before ':' that is not all
// digits is not an epoch (the whole text is the upstream version). Different texts can compare
// equal ("1.0" and "0:1.0", "1.0" and "1.0-0", "01" and "1"), as they do for dpkg.
int compare_deb_versions(std::string_view a, std::string_view b);

// Whether `text` is a well-formed Debian version (Policy 5.6.12), for versions people type
// (minimum versions): epoch all digits; upstream starts with a digit and holds only
// alphanumerics and `. + ~ -` (`-` only when a revision follows); revision non-empty, only
// alphanumerics and `. + ~`; at most kMaxDebVersionLength bytes. version.invalid saying why.
Result<void> check_deb_version(std::string_view text);

}  // namespace relman::packaging
