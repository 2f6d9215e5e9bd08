#include "packaging/deb_version.hpp"

#include <string>

namespace relman::packaging {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// dpkg's weight of a non-digit character; the end of the string weighs 0.
int order(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  char c = s[i];
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

int sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// dpkg's verrevcmp over string_views.
int compare_part(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = order(a, i), bc = order(b, j);
      if (ac != bc) return sign(ac - bc);
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (i < a.size() && j < b.size() && is_digit(a[i]) && is_digit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && is_digit(a[i])) return 1;
    if (j < b.size() && is_digit(b[j])) return -1;
    if (first_diff != 0) return sign(first_diff);
  }
  return 0;
}

struct Parts {
  std::string_view epoch;  // digits, leading zeros removed; empty means 0
  std::string_view upstream;
  std::string_view revision;
};

Parts split(std::string_view v) {
  Parts p;
  std::size_t colon = v.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view e = v.substr(0, colon);
    bool digits = true;
    for (char c : e) digits = digits && is_digit(c);
    if (digits) {
      while (!e.empty() && e.front() == '0') e.remove_prefix(1);
      p.epoch = e;
      v.remove_prefix(colon + 1);
    }
  }
  std::size_t dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    p.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  p.upstream = v;
  return p;
}

// Epochs of any length, without overflow: no leading zeros, so the longer one is larger.
int compare_epochs(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

}  // namespace

int compare_deb_versions(std::string_view a, std::string_view b) {
  Parts pa = split(a), pb = split(b);
  if (int c = compare_epochs(pa.epoch, pb.epoch); c != 0) return c;
  if (int c = compare_part(pa.upstream, pb.upstream); c != 0) return c;
  return compare_part(pa.revision, pb.revision);
}

Result<void> check_deb_version(std::string_view text) {
  auto bad = [&](const std::string& why) -> Result<void> {
    return fail("version.invalid", "not a Debian version: " + why, std::string(text));
  };
  if (text.empty()) return bad("it is empty");
  if (text.size() > kMaxDebVersionLength) {
    return bad("longer than " + std::to_string(kMaxDebVersionLength) + " bytes");
  }
  std::string_view upstream = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    auto epoch = text.substr(0, colon);
    if (epoch.empty()) return bad("the epoch before ':' is empty");
    for (char c : epoch) {
      if (!is_digit(c)) return bad("the epoch before ':' must be digits");
    }
    if (epoch.size() > 9) return bad("the epoch is too large");
    upstream = text.substr(colon + 1);
  }
  std::string_view revision;
  if (auto dash = upstream.rfind('-'); dash != std::string_view::npos) {
    revision = upstream.substr(dash + 1);
    upstream = upstream.substr(0, dash);
    if (revision.empty()) return bad("the revision after the last '-' is empty");
    for (char c : revision) {
      if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~') {
        return bad("the revision may hold only letters, digits and . + ~");
      }
    }
  }
  if (upstream.empty()) return bad("the upstream version is empty");
  if (!is_digit(upstream.front())) return bad("the upstream version must start with a digit");
  for (char c : upstream) {
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~' && c != '-') {
      return bad("the upstream version may hold only letters, digits and . + ~ -");
    }
  }
  return {};
}

}  // namespace relman::packaging
