#include "controller/releases/principal.hpp"

#include <algorithm>

namespace relman::controller {

std::string_view principal_kind_name(PrincipalKind k) {
  return k == PrincipalKind::user ? "user" : "group";
}

std::optional<PrincipalKind> parse_principal_kind(std::string_view s) {
  if (s == "user") return PrincipalKind::user;
  if (s == "group") return PrincipalKind::group;
  return std::nullopt;
}

bool valid_account_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string to_string(const Principal& p) {
  if (p.name.empty()) return {};
  return std::string(principal_kind_name(p.kind)) + ":" + p.name;
}

}  // namespace relman::controller
