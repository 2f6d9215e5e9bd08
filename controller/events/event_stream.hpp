// One reader of the event stream (GET /api/v1/events with Accept: text/event-stream): first
// what it missed (audit entries after its Last-Event-ID, read from the store), then what the
// bus publishes, never an event twice and never out of order. No Beast here: the HTTP server
// writes what next() returns. next() may block on the store: call it on the blocking pool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "controller/events/event_bus.hpp"
#include "controller/events/recipient_filter.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

struct EventStreamRequest {
  std::int64_t after_id = -1;  // -1: only new events; otherwise resume after this id
  EventFilter filter;
  // Set by the server for GET /notifications: only events addressed to the caller.
  RecipientFilter recipients;
};

// From the Last-Event-ID header (what browsers send on reconnect) or ?after=N, and
// ?types=release.*,target.failed. Errors: request.invalid_query naming the parameter.
Result<EventStreamRequest> parse_event_stream_request(
    const std::map<std::string, std::string>& headers,
    const std::map<std::string, std::string>& query);

class EventStream {
 public:
  // Subscribes at once, so nothing published from now on is missed.
  EventStream(Store& store, EventBus& bus, EventStreamRequest request);

  // The next frames to send ("" when there is nothing new). Errors: events.overflow when
  // this reader fell too far behind (the client reconnects with its last id), store errors.
  Result<std::string> next();
  std::int64_t last_id() const { return last_id_; }

 private:
  Store& store_;
  std::shared_ptr<EventBus::Subscription> subscription_;
  EventFilter filter_;
  RecipientFilter recipients_;
  std::int64_t last_id_;
  bool backlog_done_;
};

}  // namespace relman::controller
