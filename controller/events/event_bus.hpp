// What happened in the controller, as a stream: the event stream (/api/v1/events, server-sent
// events) reads it. Events are audit-log entries (their id is the audit id), so a reader that
// reconnects reads what it missed from the audit log (Store::list_audit_after) and then
// follows the bus: nothing is lost across a disconnect or a restart. The bus itself only
// hands new events to the subscribers present when they are published. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/store/records.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct Event {
  std::int64_t id = 0;  // the audit id: increasing, never reused
  std::int64_t at = 0;  // unix seconds
  std::string type;     // the audit action: "release.create", "target.succeeded", ...
  std::string actor;
  std::string object_type;
  std::string object_id;
  std::string detail_json;  // the audit detail (JSON text)
};

Event event_from_audit(const AuditEntry& entry);
nlohmann::json to_json(const Event& event);
// One server-sent-events frame: "id: N\nevent: TYPE\ndata: {json}\n\n".
std::string to_sse(const Event& event);

// Which events a reader wants: a comma-separated list of types, each exact
// ("release.create") or a prefix ending in ".*" ("release.*"). Empty: everything.
// Errors: request.invalid_filter naming the bad pattern.
class EventFilter {
 public:
  static Result<EventFilter> parse(const std::string& spec);
  bool matches(const std::string& type) const;
  bool empty() const { return patterns_.empty(); }

 private:
  std::vector<std::string> patterns_;
};

class EventBus {
 public:
  // `queue_limit`: how many undelivered events one subscriber may have before it is dropped.
  explicit EventBus(std::size_t queue_limit = 4096);

  // Publishes events in id order; an event whose id is not above the last one is ignored
  // (the feed may deliver an entry twice after a store error).
  void publish(const Event& event);
  std::int64_t last_id() const;
  // Before any publish: the id of the newest entry that is history, not news.
  void start_after(std::int64_t id);

  class Subscription {
   public:
    // Events since the last call. std::nullopt once the subscriber fell more than
    // queue_limit events behind: it must reconnect (and resume from its last id).
    std::optional<std::vector<Event>> take();

   private:
    friend class EventBus;
    std::mutex mu_;
    std::vector<Event> queue_;
    bool overflowed_ = false;
    std::size_t limit_ = 0;
  };

  // A subscription that receives the events published from now on.
  std::shared_ptr<Subscription> subscribe();

 private:
  mutable std::mutex mu_;
  std::size_t queue_limit_;
  std::int64_t last_id_ = 0;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
};

}  // namespace relman::controller
