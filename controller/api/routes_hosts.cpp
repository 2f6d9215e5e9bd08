// Hosts (what agents reported) and the audit log.
#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"

namespace relman::controller {
using nlohmann::json;

void add_host_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/hosts", Access::kUser, [&s](ApiCall& call) {
    auto hosts = s.store.list_hosts(call.page);
    if (!hosts) return from_error(hosts.error());
    json items = json::array();
    for (const auto& h : *hosts) items.push_back(to_json(h, false));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("GET", "/hosts/{agent_id}", Access::kUser, [&s](ApiCall& call) {
    auto h = s.store.get_host(call.params["agent_id"]);
    if (!h) return from_error(h.error());
    if (!*h) return error_response(404, "host.not_found", "no host with this agent id");
    return json_response(200, to_json(**h, true));
  });
}

void add_audit_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/audit", Access::kUser, [&s](ApiCall& call) {
    AuditQuery query;
    for (auto [name, field] :
         {std::pair{"actor", &query.actor}, std::pair{"object_type", &query.object_type},
          std::pair{"object_id", &query.object_id}, std::pair{"action", &query.action_prefix}}) {
      auto it = call.query.find(name);
      if (it == call.query.end()) continue;
      if (it->second.size() > 200) {
        return from_error(Error{"request.invalid_query", "at most 200 characters", name});
      }
      *field = it->second;
    }
    auto entries = s.store.list_audit(query, call.page);
    if (!entries) return from_error(entries.error());
    json items = json::array();
    for (const auto& e : *entries) items.push_back(to_json(e));
    return json_response(200, page_json(items, call.page));
  });
}

}  // namespace relman::controller
