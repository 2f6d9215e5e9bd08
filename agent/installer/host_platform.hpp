// Which packages can run here: manifest.platform is "any", "<os>", "<os>-any" or "<os>-<arch>"
// (e.g. "linux-x86_64"; Debian architecture names such as "linux-amd64" are accepted too).
#pragma once

#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::agent {

struct HostPlatform {
  std::string os;    // lower-case uname sysname, e.g. "linux"
  std::string arch;  // uname machine, e.g. "x86_64"
  std::string name() const { return os + "-" + arch; }
};

HostPlatform detect_host_platform();

// package.platform_mismatch when a package built for `platform` cannot run on `host`.
Result<void> check_platform(std::string_view platform, const HostPlatform& host);

}  // namespace relman::agent
