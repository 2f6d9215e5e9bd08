#include "agent/installer/host_platform.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace relman::agent {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Debian architecture names and their uname machine names.
constexpr std::pair<std::string_view, std::string_view> kArchAliases[] = {{"amd64", "x86_64"},
                                                                          {"arm64", "aarch64"},
                                                                          {"armhf", "armv7l"},
                                                                          {"i386", "i686"},
                                                                          {"ppc64el", "ppc64le"}};

std::string canonical_arch(std::string_view arch) {
  std::string a = lower(arch);
  for (const auto& [debian, machine] : kArchAliases) {
    if (a == debian) return std::string(machine);
  }
  if (a == "i386" || a == "i486" || a == "i586") return "i686";
  return a;
}

}  // namespace

HostPlatform detect_host_platform() {
  utsname u{};
  if (::uname(&u) != 0) return {"linux", "unknown"};
  return {lower(u.sysname), u.machine};
}

Result<void> check_platform(std::string_view platform, const HostPlatform& host) {
  std::string p = lower(platform);
  if (p == "any") return ok();
  auto dash = p.find('-');
  std::string os = p.substr(0, dash);
  std::string arch = dash == std::string::npos ? "any" : p.substr(dash + 1);
  if (os == lower(host.os) &&
      (arch == "any" || canonical_arch(arch) == canonical_arch(host.arch))) {
    return ok();
  }
  return fail(
      "package.platform_mismatch",
      "the package is built for " + std::string(platform) + " but this host is " + host.name(),
      std::string(platform));
}

}  // namespace relman::agent
