#include "controller/releases/principal.hpp"

namespace relman::controller {

std::string_view principal_kind_name(PrincipalKind k) {
  return k == PrincipalKind::user ? "user" : "group";
}

std::optional<PrincipalKind> parse_principal_kind(std::string_view s) {
  if (s == "user") return PrincipalKind::user;
  if (s == "group") return PrincipalKind::group;
  return std::nullopt;
}

std::string to_string(const Principal& p) {
  if (p.name.empty()) return {};
  return std::string(principal_kind_name(p.kind)) + ":" + p.name;
}

}  // namespace relman::controller
