// Rolling a deployment back: POST /deployments/{id}/rollback creates a rollback deployment
// whose signed orders send every host that installed the package (or the hosts named) back
// to the version it ran before (kept on the host; nothing is downloaded).
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

ApiResponse create_rollback(ApiServices& s, const ApiRequest& req, const User& user,
                            std::int64_t id) {
  auto dep = s.store.get_deployment(id);
  if (!dep) return from_error(dep.error());
  if (!*dep) return error_response(404, "deployment.not_found", "no deployment with this id");
  json empty = json::object();
  auto doc = req.body.empty()
                 ? Result<json>(empty)
                 : protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
  if (!doc) return from_error(doc.error());
  protocol::JsonReader r(*doc);
  const json* hosts = r.optional_array("hosts", 1000);
  auto ttl = r.optional_integer("expires_in_seconds", 60, 30 * 86400);
  std::vector<std::string> host_ids;
  for (const auto& h : hosts ? *hosts : json::array()) {
    if (!h.is_string()) {
      r.reject("hosts", "protocol.wrong_type", "hosts must be agent ids (strings)");
      break;
    }
    if (std::find(host_ids.begin(), host_ids.end(), h.get<std::string>()) == host_ids.end()) {
      host_ids.push_back(h.get<std::string>());
    }
  }
  if (auto c = r.finish_strict(); !c) return from_error(c.error());
  if ((*dep)->action != "install") {
    return error_response(409, "deployment.not_rollbackable",
                          "only an install deployment can be rolled back");
  }
  const auto& targets = (*dep)->targets;
  if (hosts) {
    for (const auto& h : host_ids) {
      if (std::none_of(targets.begin(), targets.end(),
                       [&](const TargetRecord& t) { return t.host_id == h; })) {
        return error_response(
            400, "deployment.host_not_targeted",
            "host '" + h + "' is not a target of deployment " + std::to_string(id));
      }
    }
  } else {
    for (const auto& t : targets) {
      if (t.status == "succeeded") host_ids.push_back(t.host_id);
    }
  }
  if (host_ids.empty()) {
    return error_response(409, "deployment.nothing_to_roll_back",
                          "no host of this deployment installed its package");
  }
  std::int64_t expires = unix_seconds() + ttl.value_or(s.config.order_ttl_seconds);
  auto rollback = s.store.create_rollback_deployment(id, host_ids, expires, user.username);
  if (!rollback) return from_error(rollback.error());
  spdlog::info("API: {} created deployment {}: roll back deployment {} on {} host(s)",
               user.username, rollback->id, id, host_ids.size());
  for (const auto& h : host_ids) s.gateway.notify(h);
  return json_response(201, to_json(*rollback));
}

}  // namespace

void add_rollback_routes(RouteTable& routes, ApiServices& s) {
  routes.add("POST", "/deployments/{id}/rollback", Permission::deploy, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "deployment ids are numbers");
    return create_rollback(s, call.req, call.actor(), *id);
  });
}

}  // namespace relman::controller
