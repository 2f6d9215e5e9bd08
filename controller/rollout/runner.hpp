// Runs the rollout engine: a thread that steps every active rollout (store.update_rollout with
// rollout::step) about once per `interval`, and tells the agent gateway about each host that got
// a new pending target. All state is in the store, so a restarted controller's runner simply
// continues; several controllers on one PostgreSQL database step the same rollouts safely
// (each step is one serializable transaction).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "controller/store/store.hpp"

namespace relman::controller::rollout {

class RolloutRunner {
 public:
  using Notify = std::function<void(const std::string& host)>;
  RolloutRunner(Store& store, Notify notify, std::chrono::milliseconds interval);
  ~RolloutRunner();
  RolloutRunner(const RolloutRunner&) = delete;
  RolloutRunner& operator=(const RolloutRunner&) = delete;

  void start();
  void stop();
  // Steps one rollout now (also what the thread does for each active rollout).
  Result<RolloutUpdate> step_rollout(std::int64_t id, std::int64_t now);

 private:
  void loop();

  Store& store_;
  Notify notify_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace relman::controller::rollout
