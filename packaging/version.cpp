#include "packaging/version.hpp"

#include <algorithm>
#include <limits>

namespace relman::packaging {
namespace {

constexpr std::size_t kMaxVersionLength = 128;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

Result<std::uint64_t> parse_core_number(std::string_view part, std::string_view what,
                                        std::string_view text) {
  if (part.empty() || !all_digits(part)) {
    return fail("version.invalid", std::string(what) + " must be a non-negative integer",
                std::string(text));
  }
  if (part.size() > 1 && part[0] == '0') {
    return fail("version.invalid", std::string(what) + " must not have leading zeros",
                std::string(text));
  }
  std::uint64_t n = 0;
  for (char c : part) {
    auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      return fail("version.invalid", std::string(what) + " is too large", std::string(text));
    }
    n = n * 10 + d;
  }
  return n;
}

// Numeric identifiers have no leading zeros, so the longer one is larger.
int compare_numeric(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::string Version::text() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) s += (i == 0 ? "-" : ".") + prerelease[i];
  if (!build.empty()) s += "+" + build;
  return s;
}

Result<Version> parse_version(std::string_view text) {
  const std::string ctx(text.substr(0, kMaxVersionLength));
  if (text.empty()) return fail("version.invalid", "version is empty");
  if (text.size() > kMaxVersionLength) {
    return fail("version.invalid", "version is longer than 128 characters", ctx);
  }
  Version v;
  std::string_view rest = text;
  if (auto plus = rest.find('+'); plus != std::string_view::npos) {
    std::string_view build = rest.substr(plus + 1);
    for (auto id : split_dots(build)) {
      if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) {
        return fail("version.invalid",
                    "build metadata must be non-empty dot-separated [0-9A-Za-z-] identifiers", ctx);
      }
    }
    v.build = std::string(build);
    rest = rest.substr(0, plus);
  }
  if (auto dash = rest.find('-'); dash != std::string_view::npos) {
    std::string_view pre = rest.substr(dash + 1);
    for (auto id : split_dots(pre)) {
      if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) {
        return fail("version.invalid",
                    "pre-release must be non-empty dot-separated [0-9A-Za-z-] identifiers", ctx);
      }
      if (all_digits(id) && id.size() > 1 && id[0] == '0') {
        return fail("version.invalid",
                    "numeric pre-release identifiers must not have leading zeros", ctx);
      }
      v.prerelease.emplace_back(id);
    }
    rest = rest.substr(0, dash);
  }
  auto core = split_dots(rest);
  if (core.size() != 3) {
    return fail("version.invalid", "version must be MAJOR.MINOR.PATCH (e.g. 1.4.2)", ctx);
  }
  auto major = parse_core_number(core[0], "major version", ctx);
  if (!major) return fail(major.error());
  auto minor = parse_core_number(core[1], "minor version", ctx);
  if (!minor) return fail(minor.error());
  auto patch = parse_core_number(core[2], "patch version", ctx);
  if (!patch) return fail(patch.error());
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

int compare_versions(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  // A pre-release sorts before the release it leads to.
  if (a.prerelease.empty() || b.prerelease.empty()) {
    if (a.prerelease.empty() == b.prerelease.empty()) return 0;
    return a.prerelease.empty() ? 1 : -1;
  }
  std::size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& x = a.prerelease[i];
    const auto& y = b.prerelease[i];
    bool xn = all_digits(x), yn = all_digits(y);
    int c = 0;
    if (xn && yn) {
      c = compare_numeric(x, y);
    } else if (xn != yn) {
      c = xn ? -1 : 1;  // numeric identifiers have lower precedence
    } else {
      int r = x.compare(y);
      c = r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    if (c != 0) return c;
  }
  if (a.prerelease.size() == b.prerelease.size()) return 0;
  return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

}  // namespace relman::packaging
