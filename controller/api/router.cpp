#include "controller/api/router.hpp"

#include <charconv>
#include <map>
#include <variant>

#include <spdlog/spdlog.h>

#include "controller/api/routes.hpp"
#include "controller/api/target.hpp"
#include "controller/auth/passwords.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"

namespace relman::controller {
namespace {

Result<Page> parse_page(const Target& t) {
  Page page;
  for (auto [key, max] : {std::pair{"limit", std::int64_t{500}}, {"offset", INT64_MAX / 2}}) {
    auto it = t.query.find(key);
    if (it == t.query.end()) continue;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 0 || v > max ||
        (std::string(key) == "limit" && v == 0)) {
      return fail("request.invalid_query",
                  std::string(key) + " must be a whole number" +
                      (std::string(key) == "limit" ? " from 1 to 500" : " >= 0"),
                  key);
    }
    (std::string(key) == "limit" ? page.limit : page.offset) = v;
  }
  return page;
}

}  // namespace

struct Router::Impl {
  ApiServices services;
  RouteTable table;

  // The user behind the request's bearer token, or the 401 to send.
  std::variant<User, ApiResponse> authenticate(const ApiRequest& req) {
    auto it = req.headers.find("authorization");
    if (it == req.headers.end() || it->second.rfind("Bearer ", 0) != 0) {
      return error_response(401, "auth.required",
                            "log in first (POST /api/v1/auth/login) and send "
                            "'Authorization: Bearer <token>'");
    }
    auto user = services.store.find_session_user(token_hash(it->second.substr(7)), unix_seconds());
    if (!user) return from_error(user.error());
    if (!*user) {
      return error_response(401, "auth.invalid_token",
                            "the token is unknown or expired; log in again");
    }
    return **user;
  }

  ApiResponse route(const ApiRequest& req) {
    auto t = parse_target(req.target);
    if (!t) {
      return error_response(404, "request.not_found",
                            "no such route; the REST API is under /api/v1/ (see docs/api.md)");
    }
    auto m = table.match(req.method, t->segments);
    if (!m.handler) {
      if (!m.allowed.empty()) return method_not_allowed(m.allowed);
      return error_response(404, "request.not_found", "no such route");
    }
    auto page = parse_page(*t);
    if (!page) return from_error(page.error());
    ApiCall call{req, std::move(m.params), std::move(t->query), *page, std::nullopt};
    if (m.route->access == Access::kUser) {
      auto auth = authenticate(req);
      if (auto* err = std::get_if<ApiResponse>(&auth)) return *err;
      call.user = std::get<User>(std::move(auth));
      if (m.route->permission) {
        auto allowed = require(permissions_of_role_names(call.user->roles), *m.route->permission);
        if (!allowed) return from_error(allowed.error());
      }
    }
    return (*m.handler)(call);
  }
};

Router::Router(const ControllerConfig& config, Store& store, Dml& dml, AgentGateway& gateway,
               const WebhookDispatcher* webhooks, AttachmentStore* attachments)
    : impl_(std::make_shared<Impl>(
          Impl{ApiServices{config, store, dml, gateway, webhooks, attachments}, {}})) {
  auto& t = impl_->table;
  auto& s = impl_->services;
  add_session_routes(t, s);
  add_package_routes(t, s);
  add_access_routes(t, s);
  add_release_record_routes(t, s);
  add_release_routes(t, s);
  add_attachment_routes(t, s);
  add_deployment_routes(t, s);
  add_plan_routes(t, s);
  add_rollback_routes(t, s);
  add_host_routes(t, s);
  add_audit_routes(t, s);
  add_event_routes(t, s);
  add_webhook_routes(t, s);
  add_cmdb_routes(t, s);
  add_inventory_routes(t, s);
  add_rollout_routes(t, s);
  add_compliance_routes(t, s);
  add_release_type_routes(t, s);
}

std::optional<std::uint64_t> Router::upload_limit(const std::string& method,
                                                  const std::string& target) const {
  if (method != "POST") return std::nullopt;
  auto t = parse_target(target);
  if (!t) return std::nullopt;
  const auto& seg = t->segments;
  if (seg == std::vector<std::string>{"packages"}) return protocol::kMaxPackageBytes;
  if (seg.size() == 3 && seg[0] == "releases" && seg[2] == "attachments") {
    const auto* a = impl_->services.attachments;
    return a != nullptr ? a->max_bytes() : kDefaultAttachmentMaxBytes;
  }
  return std::nullopt;
}

bool Router::is_event_stream(const ApiRequest& header_only) const {
  if (header_only.method != "GET") return false;
  auto t = parse_target(header_only.target);
  if (!t || (t->segments != std::vector<std::string>{"events"} &&
             t->segments != std::vector<std::string>{"notifications"})) {
    return false;
  }
  auto accept = header_only.headers.find("accept");
  return accept != header_only.headers.end() &&
         accept->second.find("text/event-stream") != std::string::npos;
}

std::optional<ApiResponse> Router::preauthorize(const ApiRequest& header_only) {
  auto auth = impl_->authenticate(header_only);
  if (auto* err = std::get_if<ApiResponse>(&auth)) return *err;
  // The route's permission too, so a stream or an upload the user may not have never starts.
  auto t = parse_target(header_only.target);
  if (!t) return std::nullopt;
  auto m = impl_->table.match(header_only.method, t->segments);
  if (m.route && m.route->permission) {
    auto allowed =
        require(permissions_of_role_names(std::get<User>(auth).roles), *m.route->permission);
    if (!allowed) return from_error(allowed.error());
  }
  return std::nullopt;
}

RecipientFilter Router::stream_recipients(const ApiRequest& header_only) {
  auto t = parse_target(header_only.target);
  if (!t || t->segments != std::vector<std::string>{"notifications"}) return {};
  auto auth = impl_->authenticate(header_only);
  if (auto* user = std::get_if<User>(&auth)) return recipients_of(*user);
  // Not reached after preauthorize; a filter nobody matches rather than everything.
  return RecipientFilter({""}, {});
}

ApiResponse Router::handle(const ApiRequest& req) {
  try {
    return impl_->route(req);
  } catch (const std::exception& e) {
    spdlog::error("API: {} {}: internal error: {}", req.method, req.target, e.what());
    return error_response(500, "internal", "internal error; see the controller log");
  }
}

std::vector<RouteInfo> Router::routes() const { return impl_->table.routes(); }

}  // namespace relman::controller
