#include "controller/dml/package_lifecycle.hpp"

#include <algorithm>

#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {

struct Edge {
  const char* from;
  const char* action;
  const char* to;
};

constexpr Edge kEdges[] = {
    {"uploaded", "test", "tested"},      {"tested", "authorize", "authorized"},
    {"uploaded", "revoke", "revoked"},   {"tested", "revoke", "revoked"},
    {"authorized", "revoke", "revoked"},
};

constexpr const char* kActions[] = {"test", "authorize", "revoke"};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> allowed_package_actions(const std::string& status) {
  std::vector<std::string> out;
  for (const auto& e : kEdges) {
    if (status == e.from) out.emplace_back(e.action);
  }
  return out;
}

Result<std::string> next_package_status(const std::string& status, const std::string& action) {
  if (std::find(std::begin(kActions), std::end(kActions), action) == std::end(kActions)) {
    return fail("package.unknown_action",
                "'" + action + "' is not a package action (test, authorize, revoke)", "action");
  }
  for (const auto& e : kEdges) {
    if (status == e.from && action == e.action) return std::string(e.to);
  }
  return fail("package.illegal_transition",
              "a package that is " + status + " cannot " + action +
                  "; allowed: " + joined(allowed_package_actions(status)),
              joined(allowed_package_actions(status)));
}

Result<PackageTransition> parse_package_transition(const nlohmann::json& body) {
  protocol::JsonReader r(body);
  PackageTransition t;
  t.action = r.string("action", 32);
  t.reason = r.optional_string("reason", kMaxPackageReasonLength).value_or("");
  RELMAN_CHECK(r.finish_strict());
  if (t.action == "revoke" && t.reason.empty()) {
    return fail("package.reason_required",
                "say why the version is revoked: it stops deployments in flight", "reason");
  }
  return t;
}

}  // namespace relman::controller
