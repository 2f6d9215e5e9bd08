// Feeds the event bus from the audit log: a thread reads entries appended since the last
// poll (by any code path, in any transaction that committed) and publishes them in order.
// Polling the store, rather than hooks in every write, means an event exists exactly when
// its audit entry does, and a second controller on the same database would see it too.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "controller/events/event_bus.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

class AuditFeed {
 public:
  AuditFeed(Store& store, EventBus& bus,
            std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~AuditFeed();  // stops the thread
  AuditFeed(const AuditFeed&) = delete;
  AuditFeed& operator=(const AuditFeed&) = delete;

  // Starts after the newest entry present now (older ones are history, not events).
  Result<void> start();
  // One poll: publishes what is new. Returns how many entries were published.
  Result<std::size_t> poll_once();

 private:
  void run();

  Store& store_;
  EventBus& bus_;
  std::chrono::milliseconds interval_;
  std::int64_t last_id_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace relman::controller
