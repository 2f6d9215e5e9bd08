#include "controller/cmdb/lifecycle.hpp"

#include <algorithm>
#include <map>

namespace relman::controller::cmdb {

namespace {
const std::map<std::string, std::vector<std::string>, std::less<>>& transitions() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> t = {
      {"development", {"homologation", "production", "retired"}},
      {"homologation", {"production", "development", "retired"}},
      {"production", {"in_store", "development", "retired"}},
      {"in_store", {"production", "development", "retired"}},
      {"retired", {}},
  };
  return t;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace

const std::vector<std::string>& lifecycle_stages() {
  static const std::vector<std::string> stages = {"development", "homologation", "production",
                                                  "in_store", "retired"};
  return stages;
}

bool valid_stage(std::string_view stage) {
  const auto& s = lifecycle_stages();
  return std::find(s.begin(), s.end(), stage) != s.end();
}

std::vector<std::string> allowed_transitions(std::string_view from) {
  auto it = transitions().find(from);
  return it == transitions().end() ? std::vector<std::string>{} : it->second;
}

Result<void> check_stage_transition(std::string_view from, std::string_view to) {
  if (!valid_stage(to)) {
    return fail("cmdb.invalid_stage", "stage must be one of: " + join(lifecycle_stages()),
                std::string(to));
  }
  if (from == to) return ok();
  auto allowed = allowed_transitions(from);
  if (std::find(allowed.begin(), allowed.end(), to) != allowed.end()) return ok();
  std::string message =
      "a CI in stage " + std::string(from) + " cannot move to " + std::string(to) +
      "; allowed: " + (allowed.empty() ? std::string("none (final stage)") : join(allowed));
  return fail("cmdb.illegal_stage_transition", message,
              std::string(from) + " -> " + std::string(to));
}

Result<void> check_initial_stage(std::string_view stage) {
  if (!valid_stage(stage) || stage == "retired") {
    return fail("cmdb.invalid_stage",
                "a new CI starts in development, homologation, production or in_store",
                std::string(stage));
  }
  return ok();
}

}  // namespace relman::controller::cmdb
