// Hosts (what agents reported) and the audit log.
#include <algorithm>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/query/host_document.hpp"
#include "controller/query/query.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
using nlohmann::json;

namespace {
constexpr std::int64_t kScanPage = 200;  // hosts read at a time while a query filters them
}  // namespace

void add_host_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/hosts", Access::kUser, [&s](ApiCall& call) {
    const std::int64_t stale_before = unix_seconds() - s.config.host_stale_after_seconds;
    HostQuery query{stale_before, std::nullopt};
    if (auto it = call.query.find("stale"); it != call.query.end()) {
      if (it->second != "true" && it->second != "false") {
        return error_response(400, "request.invalid_value", "stale must be true or false");
      }
      query.stale = it->second == "true";
    }
    json items = json::array();
    if (auto q = call.query.find("q"); q != call.query.end()) {
      // Any inventory fact, in the planner's query language, over each host's last report.
      auto parsed = query::parse_query(q->second);
      if (!parsed) return from_error(parsed.error());
      std::int64_t skip = call.page.offset;
      const std::int64_t limit = std::clamp<std::int64_t>(call.page.limit, 1, 500);
      for (std::int64_t at = 0;; at += kScanPage) {
        auto hosts = s.store.list_hosts(Page{kScanPage, at}, query);
        if (!hosts) return from_error(hosts.error());
        for (const auto& h : *hosts) {
          auto doc =
              query::host_document(h.agent_id, {}, json::parse(h.inventory_json, nullptr, false));
          if (!query::matches(*parsed, doc) || skip-- > 0) continue;
          items.push_back(to_json(h, stale_before, false));
          if (static_cast<std::int64_t>(items.size()) >= limit) break;
        }
        if (static_cast<std::int64_t>(items.size()) >= limit ||
            static_cast<std::int64_t>(hosts->size()) < kScanPage) {
          break;
        }
      }
      return json_response(200, page_json(items, call.page));
    }
    query.inventory = false;  // the list shows no inventory
    auto hosts = s.store.list_hosts(call.page, query);
    if (!hosts) return from_error(hosts.error());
    for (const auto& h : *hosts) items.push_back(to_json(h, stale_before, false));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("GET", "/hosts/{agent_id}", Access::kUser, [&s](ApiCall& call) {
    auto h = s.store.get_host(call.params["agent_id"]);
    if (!h) return from_error(h.error());
    if (!*h) return error_response(404, "host.not_found", "no host with this agent id");
    const std::int64_t stale_before = unix_seconds() - s.config.host_stale_after_seconds;
    return json_response(200, to_json(**h, stale_before, true));
  });

  // "Inventory now": the host reports at once (a delta, or a full report with {"full": true}).
  routes.add("POST", "/hosts/{agent_id}/inventory", Access::kUser, [&s](ApiCall& call) {
    bool full = false;
    if (!call.req.body.empty()) {
      auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
      if (!doc) return from_error(doc.error());
      protocol::JsonReader r(*doc);
      full = r.optional_boolean("full").value_or(false);
      if (auto c = r.finish_strict(); !c) return from_error(c.error());
    }
    const auto& id = call.params["agent_id"];
    auto h = s.store.get_host(id);
    if (!h) return from_error(h.error());
    if (!*h) return error_response(404, "host.not_found", "no host with this agent id");
    if (!s.gateway.request_inventory(id, full)) {
      return error_response(409, "host.offline",
                            "the host is not connected; it reports when it connects");
    }
    return json_response(202, json{{"agent_id", id}, {"requested", full ? "full" : "delta"}});
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
