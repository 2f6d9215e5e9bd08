// Deployments of a release (the release records themselves: routes_release_records.cpp).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

ApiResponse create_deployment(ApiServices& s, const ApiRequest& req, const User& user,
                              std::int64_t release_id) {
  auto& store = s.store;
  auto& config = s.config;
  auto& gateway = s.gateway;
  auto release = store.get_release(release_id);
  if (!release) return from_error(release.error());
  if (!*release) return error_response(404, "release.not_found", "no release with this id");
  auto doc = protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
  if (!doc) return from_error(doc.error());
  protocol::JsonReader r(*doc);
  auto package_id = r.optional_integer("package_id", 1, INT64_MAX);
  auto name = r.optional_string("package");
  auto version = r.optional_string("version");
  const json* hosts = r.array("hosts", 1000);
  auto ttl = r.optional_integer("expires_in_seconds", 60, 30 * 86400);
  bool allow_downgrade = r.optional_boolean("allow_downgrade").value_or(false);
  std::vector<std::string> host_ids;
  if (hosts) {
    if (hosts->empty()) r.reject("hosts", "request.invalid_value", "name at least one host");
    for (const auto& h : *hosts) {
      if (!h.is_string() || h.get<std::string>().empty() ||
          h.get<std::string>().size() > protocol::kMaxIdLength) {
        r.reject("hosts", "protocol.wrong_type", "hosts must be agent ids (strings)");
        break;
      }
      if (std::find(host_ids.begin(), host_ids.end(), h.get<std::string>()) == host_ids.end()) {
        host_ids.push_back(h.get<std::string>());
      }
    }
  }
  if (!package_id && !(name && version)) {
    r.reject("package_id", "protocol.missing_field",
             "name the package by package_id, or by package and version");
  }
  if (auto c = r.finish_strict(); !c) return from_error(c.error());

  std::optional<PackageRecord> pkg;
  if (package_id) {
    auto p = store.get_package(*package_id);
    if (!p) return from_error(p.error());
    pkg = std::move(*p);
  } else {
    auto p = store.find_package(*name, *version);
    if (!p) return from_error(p.error());
    pkg = std::move(*p);
  }
  if (!pkg) {
    return error_response(404, "package.not_found", "the DML holds no such package version");
  }
  std::int64_t expires = unix_seconds() + ttl.value_or(config.order_ttl_seconds);
  auto dep = store.create_deployment(release_id, pkg->id, host_ids, expires, allow_downgrade,
                                     user.username);
  if (!dep) return from_error(dep.error());
  spdlog::info("API: {} created deployment {} of {} {} to {} host(s)", user.username, dep->id,
               pkg->name, pkg->version, host_ids.size());
  json body = to_json(*dep);
  body["warnings"] = json::array();
  for (const auto& h : host_ids) {
    gateway.notify(h);
    auto known = store.get_host(h);
    if (known && !*known) {
      body["warnings"].push_back("host '" + h +
                                 "' has never connected: its order waits until it does, or "
                                 "fails when the deployment expires");
    }
  }
  return json_response(201, body);
}

}  // namespace

void add_release_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/releases/{id}/deployments", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
    auto deps = s.store.list_deployments(*id, call.page);
    if (!deps) return from_error(deps.error());
    json items = json::array();
    for (const auto& d : *deps) items.push_back(to_json(d));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/releases/{id}/deployments", Permission::deploy, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
    return create_deployment(s, call.req, call.actor(), *id);
  });
}

void add_deployment_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/deployments", Access::kUser, [&s](ApiCall& call) {
    auto deps = s.store.list_deployments(std::nullopt, call.page);
    if (!deps) return from_error(deps.error());
    json items = json::array();
    for (const auto& d : *deps) items.push_back(to_json(d));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("GET", "/deployments/{id}", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "deployment ids are numbers");
    auto d = s.store.get_deployment(*id);
    if (!d) return from_error(d.error());
    if (!*d) return error_response(404, "deployment.not_found", "no deployment with this id");
    return json_response(200, to_json(**d));
  });
}

}  // namespace relman::controller
