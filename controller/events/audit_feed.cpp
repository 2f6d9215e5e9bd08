#include "controller/events/audit_feed.hpp"

#include <spdlog/spdlog.h>

namespace relman::controller {

namespace {
constexpr std::int64_t kBatch = 500;
}

AuditFeed::AuditFeed(Store& store, EventBus& bus, std::chrono::milliseconds interval)
    : store_(store), bus_(bus), interval_(interval) {}

AuditFeed::~AuditFeed() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> AuditFeed::start() {
  RELMAN_TRY(newest, store_.list_audit(AuditQuery{}, Page{1, 0}));
  last_id_ = newest.empty() ? 0 : newest.front().id;
  bus_.start_after(last_id_);
  thread_ = std::thread([this] { run(); });
  return ok();
}

Result<std::size_t> AuditFeed::poll_once() {
  std::size_t published = 0;
  for (;;) {
    RELMAN_TRY(batch, store_.list_audit_after(last_id_, kBatch));
    for (const auto& entry : batch) {
      bus_.publish(event_from_audit(entry));
      last_id_ = entry.id;
      ++published;
    }
    if (static_cast<std::int64_t>(batch.size()) < kBatch) return published;
  }
}

void AuditFeed::run() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    auto r = poll_once();
    if (!r && !failing) {
      spdlog::warn("event stream: cannot read the audit log: {} (retrying)", r.error().describe());
    } else if (r && failing) {
      spdlog::info("event stream: reading the audit log again");
    }
    failing = !r;
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

}  // namespace relman::controller
