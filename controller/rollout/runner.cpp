#include "controller/rollout/runner.hpp"

#include <spdlog/spdlog.h>

#include "controller/rollout/engine.hpp"
#include "controller/rollout/plan_request.hpp"
#include "protocol/clock.hpp"

namespace relman::controller::rollout {

RolloutRunner::RolloutRunner(Store& store, Notify notify, std::chrono::milliseconds interval)
    : store_(store), notify_(std::move(notify)), interval_(interval) {}

RolloutRunner::~RolloutRunner() { stop(); }

void RolloutRunner::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void RolloutRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<RolloutUpdate> RolloutRunner::step_rollout(std::int64_t id, std::int64_t now) {
  RolloutChange change = [&](RolloutRecord& r) -> Result<std::vector<RolloutEvent>> {
    auto doc = nlohmann::json::parse(r.request_json, nullptr, false);
    RELMAN_TRY(request, plan_request_from_json(doc));
    RELMAN_TRY(schedule, request_schedule(request));
    const auto by_host = groups_by_host(request);
    GroupsOf groups = [&](const std::string& host) {
      auto in = by_host.find(host);
      return in == by_host.end() ? std::vector<std::string>{} : in->second;
    };
    return step(r, schedule, groups, now);
  };
  RELMAN_TRY(update, store_.update_rollout(id, change, "controller"));
  for (const auto& e : update.events) {
    spdlog::info("rollout {}: {} {}", id, e.action, e.detail.dump());
  }
  for (const auto& host : update.dispatched) notify_(host);
  return update;
}

void RolloutRunner::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto ids = store_.active_rollouts();
    if (!ids) {
      spdlog::error("rollouts: cannot list active rollouts: {}", ids.error().describe());
    } else {
      for (auto id : *ids) {
        if (auto s = step_rollout(id, unix_seconds()); !s) {
          spdlog::error("rollout {}: step failed: {}", id, s.error().describe());
        }
      }
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace relman::controller::rollout
