// GET /events and GET /notifications (only the events addressed to the caller or its groups)
// as JSON pages, for clients that poll instead of holding a stream open. The streams
// (Accept: text/event-stream) are served by the HTTP server with EventStream.
#include <nlohmann/json.hpp>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/events/event_stream.hpp"

namespace relman::controller {

using nlohmann::json;

namespace {

// One JSON page of events after ?after= that pass the ?types= filter and `recipients`.
ApiResponse event_page(ApiServices& s, const ApiCall& call, const RecipientFilter& recipients) {
  auto request = parse_event_stream_request({}, call.query);
  if (!request) return from_error(request.error());
  const std::int64_t after = std::max<std::int64_t>(request->after_id, 0);
  auto entries = s.store.list_audit_after(after, call.page.limit);
  if (!entries) return from_error(entries.error());
  json items = json::array();
  std::int64_t last = after;
  for (const auto& entry : *entries) {
    auto event = event_from_audit(entry);
    if (request->filter.matches(event.type) && recipients.matches(event)) {
      items.push_back(to_json(event));
    }
    last = event.id;
  }
  // last_id covers entries skipped by the filters too: the next page starts after it.
  return json_response(200, json{{"items", items}, {"last_id", last}});
}

}  // namespace

void add_event_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/events", Permission::read_audit,
             [&s](ApiCall& call) { return event_page(s, call, RecipientFilter()); });
  // The release events addressed to the caller or its groups: any user, no read_audit.
  routes.add("GET", "/notifications", Access::kUser,
             [&s](ApiCall& call) { return event_page(s, call, recipients_of(call.actor())); });
}

}  // namespace relman::controller
