#include "controller/events/event_stream.hpp"

#include <charconv>

namespace relman::controller {
namespace {

constexpr std::int64_t kBacklogBatch = 200;

Result<std::int64_t> parse_event_id(const std::string& text, const std::string& what) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) {
    return fail("request.invalid_query", "an event id is a non-negative integer", what);
  }
  return v;
}

}  // namespace

Result<EventStreamRequest> parse_event_stream_request(
    const std::map<std::string, std::string>& headers,
    const std::map<std::string, std::string>& query) {
  EventStreamRequest out;
  if (auto it = query.find("after"); it != query.end()) {
    RELMAN_TRY(id, parse_event_id(it->second, "after"));
    out.after_id = id;
  } else if (auto h = headers.find("last-event-id"); h != headers.end() && !h->second.empty()) {
    RELMAN_TRY(id, parse_event_id(h->second, "Last-Event-ID"));
    out.after_id = id;
  }
  if (auto it = query.find("types"); it != query.end()) {
    auto filter = EventFilter::parse(it->second);
    if (!filter) return fail("request.invalid_query", filter.error().message, "types");
    out.filter = std::move(*filter);
  }
  return out;
}

EventStream::EventStream(Store& store, EventBus& bus, EventStreamRequest request)
    : store_(store),
      subscription_(bus.subscribe()),
      filter_(std::move(request.filter)),
      recipients_(std::move(request.recipients)),
      last_id_(request.after_id < 0 ? bus.last_id() : request.after_id),
      backlog_done_(request.after_id < 0) {}

Result<std::string> EventStream::next() {
  std::string out;
  if (!backlog_done_) {
    // Catch up from the audit log in batches; the bus queue holds what arrives meanwhile
    // and is de-duplicated by id below.
    RELMAN_TRY(batch, store_.list_audit_after(last_id_, kBacklogBatch));
    for (const auto& entry : batch) {
      auto event = event_from_audit(entry);
      if (filter_.matches(event.type) && recipients_.matches(event)) out += to_sse(event);
      last_id_ = event.id;
    }
    if (static_cast<std::int64_t>(batch.size()) < kBacklogBatch) backlog_done_ = true;
    return out;
  }
  auto events = subscription_->take();
  if (!events) {
    return fail("events.overflow",
                "this reader fell too far behind the event stream; reconnect to resume");
  }
  for (const auto& event : *events) {
    if (event.id <= last_id_) continue;
    if (filter_.matches(event.type) && recipients_.matches(event)) out += to_sse(event);
    last_id_ = event.id;
  }
  return out;
}

}  // namespace relman::controller
