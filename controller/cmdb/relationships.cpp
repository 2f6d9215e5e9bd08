#include "controller/cmdb/relationships.hpp"

#include <algorithm>

#include "controller/cmdb/ci_class.hpp"

namespace relman::controller::cmdb {

namespace {
struct Pairing {
  std::string_view type;
  std::vector<std::string_view> from;
  std::vector<std::string_view> to;
};

const std::vector<Pairing>& pairings() {
  static const std::vector<Pairing> p = {
      {"runs_on", {"software", "service"}, {"host", "hardware"}},
      {"depends_on", {"service", "software", "host"}, {"service", "software", "host", "network"}},
      {"installed_on", {"software"}, {"host", "hardware"}},
      {"part_of", {"hardware"}, {"hardware", "host", "network"}},
      {"part_of", {"host", "software", "service"}, {"service"}},
      {"connected_to", {"host", "hardware", "network"}, {"host", "hardware", "network"}},
  };
  return p;
}

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

const std::vector<std::string>& relationship_types() {
  static const std::vector<std::string> types = {"runs_on", "depends_on", "installed_on", "part_of",
                                                 "connected_to"};
  return types;
}

bool valid_relationship_type(std::string_view type) {
  const auto& t = relationship_types();
  return std::find(t.begin(), t.end(), type) != t.end();
}

Result<void> check_relationship(std::string_view type, std::string_view from_class,
                                std::string_view to_class) {
  if (!valid_relationship_type(type)) {
    return fail("cmdb.invalid_relationship",
                "type must be runs_on, depends_on, installed_on, part_of or connected_to",
                std::string(type));
  }
  if (!is_builtin_class(from_class) || !is_builtin_class(to_class)) return ok();
  for (const auto& p : pairings()) {
    if (p.type == type && contains(p.from, from_class) && contains(p.to, to_class)) return ok();
  }
  std::string pair =
      std::string(from_class) + " " + std::string(type) + " " + std::string(to_class);
  return fail("cmdb.invalid_relationship",
              "a " + std::string(from_class) + " cannot be " + std::string(type) + " a " +
                  std::string(to_class) + " (see the CMDB's relationship rules)",
              pair);
}

bool change_flows_to_from(std::string_view type) {
  return type == "depends_on" || type == "connected_to" || type == "runs_on" ||
         type == "installed_on";
}

bool change_flows_from_to(std::string_view type, bool from_is_origin) {
  if (type == "part_of") return true;
  return from_is_origin && (type == "runs_on" || type == "installed_on");
}

}  // namespace relman::controller::cmdb
