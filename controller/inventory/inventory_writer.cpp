#include "controller/inventory/inventory_writer.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "controller/inventory/inventory_intake.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {

InventoryWriter::InventoryWriter(Store& store, std::size_t max_batch, Clock clock)
    : store_(store),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      clock_(clock ? std::move(clock) : Clock([] { return unix_seconds(); })),
      thread_([this] { run(); }) {}

InventoryWriter::~InventoryWriter() { stop(); }

void InventoryWriter::set_blacklist(std::vector<std::string> names) {
  std::lock_guard lock(mu_);
  blacklist_ = std::move(names);
}

void InventoryWriter::submit(std::string agent_id, protocol::InventoryDelta delta, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(agent_id), std::move(delta), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(fail("controller.stopping", "the controller is stopping; the delta was not stored",
            agent_id));
}

void InventoryWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

InventoryWriter::Stats InventoryWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void InventoryWriter::run() {
  for (;;) {
    std::vector<Pending> batch;
    std::vector<std::string> blacklist;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is answered
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      blacklist = blacklist_;
    }
    std::vector<DeltaToApply> deltas;
    deltas.reserve(batch.size());
    for (const auto& p : batch) deltas.push_back(DeltaToApply{p.agent_id, &p.delta});
    std::vector<Result<protocol::Message>> answers;
    try {
      answers = accept_inventory_deltas(store_, deltas, clock_(), blacklist);
    } catch (const std::exception& e) {  // the thread must go on answering
      spdlog::error("inventory writer: {} deltas not stored: {}", batch.size(), e.what());
      answers.clear();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        answers.emplace_back(
            fail("inventory.not_stored",
                 "the controller could not store this delta (its log says why); the agent's "
                 "next report builds on the last one stored",
                 e.what()));
      }
    }
    {
      std::lock_guard lock(mu_);
      stats_.deltas += batch.size();
      stats_.batches += 1;
      stats_.largest = std::max(stats_.largest, batch.size());
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(answers[i]));
  }
}

}  // namespace relman::controller
