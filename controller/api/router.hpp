// The REST API (/api/v1/...): plain requests in, plain responses out. No Beast types here;
// api/http_server.cpp does the wire. handle() blocks (store, hashing): call it on the
// blocking pool. Errors are {"error": {"code": ..., "message": ...}} with a 4xx/5xx status.
// The routes themselves are registered per domain in api/routes_*.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/api/api_call.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/route_table.hpp"
#include "controller/config.hpp"
#include "controller/dml/dml.hpp"
#include "controller/events/recipient_filter.hpp"
#include "controller/gateway/agent_gateway.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

class WebhookDispatcher;
class AttachmentStore;

class Router {
 public:
  // `webhooks`: whose delivery status GET /webhooks shows (none configured when null).
  Router(const ControllerConfig& config, Store& store, Dml& dml, AgentGateway& gateway,
         const WebhookDispatcher* webhooks = nullptr, AttachmentStore* attachments = nullptr);

  // Routes whose body is streamed to a file (package upload, release attachment) instead of
  // held in memory: the largest body they take; nullopt for the others.
  std::optional<std::uint64_t> upload_limit(const std::string& method,
                                            const std::string& target) const;
  // GET /api/v1/events asking for text/event-stream: the server streams it (EventStream)
  // after preauthorize(); the route table answers the same path with JSON pages.
  bool is_event_stream(const ApiRequest& header_only) const;
  // Checks the bearer token and the route's permission before an upload body is read or a
  // stream starts; the error response otherwise.
  std::optional<ApiResponse> preauthorize(const ApiRequest& header_only);
  // For a stream of GET /notifications (after preauthorize): the caller and its groups, whose
  // events alone it gets; for GET /events: an empty filter (every event).
  RecipientFilter stream_recipients(const ApiRequest& header_only);
  ApiResponse handle(const ApiRequest& req);

  // Every route served (method, pattern under /api/v1): for docs and the OpenAPI check.
  std::vector<RouteInfo> routes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace relman::controller
