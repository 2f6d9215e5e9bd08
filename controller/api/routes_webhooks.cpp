// GET /webhooks: each configured webhook's delivery status (cursor, failures, last error), so
// an operator sees a failing receiver without reading the controller's log. Secrets are never
// shown.
#include <nlohmann/json.hpp>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"

namespace relman::controller {

using nlohmann::json;

void add_webhook_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/webhooks", Permission::read_audit, [&s](ApiCall&) {
    json items = json::array();
    if (s.webhooks != nullptr) {
      for (const auto& w : s.webhooks->status()) {
        items.push_back({{"name", w.name},
                         {"url", w.url},
                         {"types", w.types},
                         {"cursor", w.cursor},
                         {"state", w.state},
                         {"retrying_event", w.retrying_event},
                         {"delivered", w.delivered},
                         {"failed_attempts", w.failed_attempts},
                         {"given_up", w.given_up},
                         {"last_delivered_at", w.last_delivered_at},
                         {"last_error_at", w.last_error_at},
                         {"last_error", w.last_error}});
      }
    }
    return json_response(200, json{{"items", items}});
  });
}

}  // namespace relman::controller
