// Delivers events to the configured webhooks: one thread per webhook reads the audit log
// after the webhook's cursor, POSTs each matching event (signed), retries with backoff, and
// moves the cursor (a file, written atomically) only once the receiver answered 2xx or the
// event was given up after max_attempts (logged as an error with the last reason).
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "controller/events/webhook.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

// What GET /api/v1/webhooks shows of one webhook: where delivery stands and why it fails.
// Counters and times are since the controller started; the cursor is durable.
struct WebhookStatus {
  std::string name;
  std::string url;
  std::string types;
  std::int64_t cursor = 0;  // the last event handled (delivered or given up)
  // "ok": nothing failing; "retrying": `retrying_event` failed and is being retried;
  // "store_unavailable": the audit log cannot be read.
  std::string state = "ok";
  std::int64_t retrying_event = 0;
  std::int64_t delivered = 0;
  std::int64_t failed_attempts = 0;
  std::int64_t given_up = 0;
  std::int64_t last_delivered_at = 0;  // Unix seconds; 0 = never
  std::int64_t last_error_at = 0;
  std::string last_error;
};

class WebhookDispatcher {
 public:
  // `cursor_dir` holds "<name>.cursor" per webhook. `idle_poll`: how often an idle webhook
  // looks for new events.
  WebhookDispatcher(Store& store, std::vector<WebhookConfig> hooks,
                    std::filesystem::path cursor_dir,
                    std::chrono::milliseconds idle_poll = std::chrono::milliseconds(500));
  ~WebhookDispatcher();  // stops every thread (an attempt in progress ends by its timeout)
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Loads cursors (a webhook without one starts after the newest event: history is not
  // replayed), builds TLS contexts, starts the threads. Errors: webhook.* naming the hook.
  Result<void> start();

  // A snapshot of every webhook's delivery, in configuration order. Thread-safe.
  std::vector<WebhookStatus> status() const;

 private:
  struct Hook;
  void run(Hook& hook);
  void update(Hook& hook, const std::function<void(WebhookStatus&)>& change);
  // Sleeps up to `d`; false when stopping.
  bool sleep_for(std::chrono::milliseconds d);

  Store& store_;
  std::vector<WebhookConfig> configs_;
  std::filesystem::path cursor_dir_;
  std::chrono::milliseconds idle_poll_;
  std::vector<std::unique_ptr<Hook>> hooks_;
  mutable std::mutex mu_;  // stop_ and every hook's status
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace relman::controller
