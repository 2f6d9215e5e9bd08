// The DML over the API: package upload (streamed to a file by the server), listing, one
// package, its lifecycle (test, authorize, revoke) and history; and the agents' package
// download (client certificate, Range).
#include <charconv>
#include <string_view>

#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/dml/package_lifecycle.hpp"
#include "packaging/sha256.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

ApiResponse agent_package(ApiServices& s, const ApiRequest& req, const std::string& sha) {
  auto& store = s.store;
  auto& dml = s.dml;
  if (!req.peer || !req.peer->client_auth) {
    return error_response(401, "agent.certificate_required",
                          "package downloads need an agent client certificate");
  }
  if (!packaging::is_sha256_hex(sha)) {
    return error_response(400, "request.invalid_value", "not a SHA-256 hex digest");
  }
  // An agent fetches only what it has been ordered to install, nothing else in the DML.
  auto ordered = store.host_awaits_package(req.peer->common_name, sha);
  if (!ordered) return from_error(ordered.error());
  auto rec = store.find_package_by_sha256(sha);
  if (!rec) return from_error(rec.error());
  if (!*ordered) {
    if (*rec && (*rec)->status == "revoked") {
      return error_response(403, "package.revoked",
                            "this package version was revoked: " + (*rec)->status_reason);
    }
    return error_response(403, "agent.not_ordered",
                          "this agent has no unfinished order for that package");
  }
  if (!*rec) return error_response(404, "package.not_found", "no package with this hash");
  auto path = dml.blob_path(sha);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return error_response(500, "dml.io", "the package file is missing from the DML");
  ApiResponse r;
  r.content_type = "application/octet-stream";
  r.file = path;
  r.file_offset = 0;
  r.file_length = size;
  r.headers["accept-ranges"] = "bytes";
  if (auto it = req.headers.find("range"); it != req.headers.end()) {
    // Only "bytes=N-" (what our agents send to resume) and "bytes=N-M".
    std::string_view v = it->second;
    std::uint64_t from = 0, to = size ? size - 1 : 0;
    bool valid = v.starts_with("bytes=");
    if (valid) {
      v.remove_prefix(6);
      auto dash = v.find('-');
      valid = dash != std::string_view::npos && dash > 0;
      if (valid) {
        auto [p1, e1] = std::from_chars(v.data(), v.data() + dash, from);
        valid = e1 == std::errc() && p1 == v.data() + dash;
        if (valid && dash + 1 < v.size()) {
          auto [p2, e2] = std::from_chars(v.data() + dash + 1, v.data() + v.size(), to);
          valid = e2 == std::errc() && p2 == v.data() + v.size() && to >= from;
        }
      }
    }
    if (!valid || from >= size) {
      auto e = error_response(416, "request.range_invalid", "the requested range is invalid");
      e.headers["content-range"] = "bytes */" + std::to_string(size);
      return e;
    }
    to = std::min<std::uint64_t>(to, size - 1);
    r.status = 206;
    r.file_offset = from;
    r.file_length = to - from + 1;
    r.headers["content-range"] =
        "bytes " + std::to_string(from) + "-" + std::to_string(to) + "/" + std::to_string(size);
    spdlog::info("agent {} resumes package {} from byte {} of {}", req.peer->common_name, sha, from,
                 size);
  }
  return r;
}

}  // namespace

void add_package_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/packages", Access::kUser, [&s](ApiCall& call) {
    auto list = s.store.list_packages(call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& p : *list) items.push_back(to_json(p));
    return json_response(200, page_json(items, call.page));
  });

  // The body arrives as a file: Router::upload_limit tells the server to stream it.
  routes.add("POST", "/packages", Permission::manage_dml, [&s](ApiCall& call) {
    const auto& user = call.actor();
    if (call.req.body_file.empty()) {
      return error_response(400, "request.body_required",
                            "send the package file as the request body "
                            "(Content-Type: application/octet-stream)");
    }
    auto rec = s.dml.add(call.req.body_file, user.username);
    if (!rec) {
      spdlog::warn("API: package upload by {} refused: {}", user.username, rec.error().describe());
      return from_error(rec.error());
    }
    spdlog::info("API: {} uploaded {} {} ({})", user.username, rec->name, rec->version,
                 rec->sha256);
    return json_response(201, to_json(*rec));
  });

  routes.add("GET", "/packages/{id}", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "package ids are numbers");
    auto p = s.store.get_package(*id);
    if (!p) return from_error(p.error());
    if (!*p) return error_response(404, "package.not_found", "no package with this id");
    return json_response(200, to_json(**p));
  });

  // The lifecycle: uploaded -> tested -> authorized, or revoked (final).
  routes.add("POST", "/packages/{id}/transitions", Permission::manage_dml, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "package ids are numbers");
    auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    auto t = parse_package_transition(*doc);
    if (!t) return from_error(t.error());
    auto done = s.store.transition_package(*id, t->action, t->reason, call.actor().username);
    if (!done) return from_error(done.error());
    const auto& p = done->package;
    spdlog::info("API: {} moved {} {} to {}{}", call.actor().username, p.name, p.version, p.status,
                 done->cancelled_targets > 0
                     ? " (" + std::to_string(done->cancelled_targets) + " pending target(s) failed)"
                     : std::string());
    json body = to_json(p);
    body["allowed_actions"] = allowed_package_actions(p.status);
    body["cancelled_targets"] = done->cancelled_targets;
    return json_response(200, body);
  });

  // Every step the version took, oldest first, from the audit log.
  routes.add("GET", "/packages/{id}/history", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "package ids are numbers");
    auto p = s.store.get_package(*id);
    if (!p) return from_error(p.error());
    if (!*p) return error_response(404, "package.not_found", "no package with this id");
    auto entries = s.store.list_audit(AuditQuery{"", "package", std::to_string(*id), "package."},
                                      Page{500, 0});
    if (!entries) return from_error(entries.error());
    json items = json::array();
    for (auto it = entries->rbegin(); it != entries->rend(); ++it) items.push_back(to_json(*it));
    return json_response(200, json{{"items", items}});
  });

  auto download = [&s](ApiCall& call) { return agent_package(s, call.req, call.params["sha256"]); };
  routes.add("GET", "/agent/packages/{sha256}", Access::kAgent, download);
  routes.add("HEAD", "/agent/packages/{sha256}", Access::kAgent, download);

  routes.add("GET", "/agent", Access::kPublic, [](ApiCall&) {
    return error_response(426, "agent.websocket_required",
                          "this endpoint takes a WebSocket upgrade from an agent");
  });
}

}  // namespace relman::controller
