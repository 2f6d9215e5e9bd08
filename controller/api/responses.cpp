#include "controller/api/responses.hpp"

#include <charconv>
#include <string_view>

#include <spdlog/spdlog.h>

namespace relman::controller {
using nlohmann::json;

ApiResponse json_response(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

ApiResponse error_response(int status, const std::string& code, const std::string& message) {
  return json_response(status, json{{"error", {{"code", code}, {"message", message}}}});
}

int status_for(const Error& e) {
  const std::string& c = e.code;
  auto starts = [&](std::string_view p) { return c.starts_with(p); };
  auto ends = [&](std::string_view s) { return c.ends_with(s); };
  // The user may not do this: a missing permission, or a lifecycle rule about who acts.
  if (c == "auth.forbidden" || c == "auth.not_requester" || c == "auth.not_in_group" ||
      c == "approval.not_an_approver") {
    return 403;
  }
  const bool cmdb = starts("cmdb.");  // cmdb.ci_not_found, cmdb.class_exists, ...
  if (ends(".not_found") || (cmdb && ends("_not_found"))) return 404;
  if (ends(".exists") || ends(".version_exists") || ends(".version_conflict") ||
      ends(".illegal_transition") || ends(".conflict") || ends(".not_editable") ||
      c == "approval.decided" || c == "approval.already_voted" ||
      c == "release.approval_required" || c == "release.no_open_execution" ||
      c == "release.too_many_notes" || (cmdb && (ends("_exists") || ends("_stage_transition")))) {
    return 409;
  }
  if (c == "attachment.too_large") return 413;
  if (c == "package.not_authorized" || c == "package.revoked") return 409;
  if (starts("attachment.") && c != "attachment.io") return 400;
  if (starts("protocol.") || starts("package.") || starts("manifest.") || starts("request.") ||
      starts("extract.") || starts("version.") || starts("query.") || starts("plan.") ||
      starts("approval.") || cmdb || c == "release.field_required" ||
      c == "release.unknown_justification" || c == "release.invalid_period" ||
      c == "user.invalid_role" || c == "user.weak_password" || c == "release.unknown_type" ||
      c == "release.unknown_group" || starts("software_policy.") ||
      (starts("release_type.") && c != "release_type.invalid_state")) {
    return 400;
  }
  return 500;
}

ApiResponse from_error(const Error& e) {
  int status = status_for(e);
  if (status >= 500) spdlog::error("API: {}", e.describe());
  json body{{"error", {{"code", e.code}, {"message", e.message}}}};
  if (!e.context.empty()) body["error"]["context"] = e.context;
  return json_response(status, body);
}

ApiResponse method_not_allowed(const std::string& allowed) {
  auto r = error_response(405, "request.method_not_allowed", "this route takes " + allowed);
  r.headers["allow"] = allowed;
  return r;
}

json page_json(const json& items, const Page& page) {
  return json{{"items", items}, {"limit", page.limit}, {"offset", page.offset}};
}

std::optional<std::int64_t> parse_id(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace relman::controller
