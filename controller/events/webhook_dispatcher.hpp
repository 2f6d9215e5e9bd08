// Delivers events to the configured webhooks: one thread per webhook reads the audit log
// after the webhook's cursor, POSTs each matching event (signed), retries with backoff, and
// moves the cursor (a file, written atomically) only once the receiver answered 2xx or the
// event was given up after max_attempts (logged as an error with the last reason).
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "controller/events/webhook.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

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

 private:
  struct Hook;
  void run(Hook& hook);
  // Sleeps up to `d`; false when stopping.
  bool sleep_for(std::chrono::milliseconds d);

  Store& store_;
  std::vector<WebhookConfig> configs_;
  std::filesystem::path cursor_dir_;
  std::chrono::milliseconds idle_poll_;
  std::vector<std::unique_ptr<Hook>> hooks_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace relman::controller
