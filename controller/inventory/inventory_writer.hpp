// Group commit for agents' inventory deltas. The gateway queues each delta here, and one
// writer thread stores whatever has queued up (at most max_batch deltas) in one transaction
// (accept_inventory_deltas), so deltas that arrive together share one commit: most of the
// pages a delta writes are the same tails of the audit and history tables every delta writes
// (docs/benchmarks.md). A delta that arrives alone is stored at once, as before. Deltas of one
// agent are stored in the order they were queued.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/store/store.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::controller {

class InventoryWriter {
 public:
  static constexpr std::size_t kDefaultMaxBatch = 64;
  using Done = std::function<void(Result<protocol::Message>)>;
  using Clock = std::function<std::int64_t()>;

  // Starts the writer thread. `clock` stamps each batch (unix seconds).
  explicit InventoryWriter(Store& store, std::size_t max_batch = kDefaultMaxBatch,
                           Clock clock = nullptr);
  ~InventoryWriter();  // stop()
  InventoryWriter(const InventoryWriter&) = delete;
  InventoryWriter& operator=(const InventoryWriter&) = delete;

  // Package names whose appearance on a host is audited (accept_inventory_delta's blacklist).
  void set_blacklist(std::vector<std::string> names);

  // Queues one delta. `done` runs once, on the writer thread, with the answer
  // accept_inventory_delta would give (after stop(): at once, with controller.stopping).
  void submit(std::string agent_id, protocol::InventoryDelta delta, Done done);

  // Answers every delta already queued, then ends the thread. Idempotent.
  void stop();

  struct Stats {
    std::uint64_t deltas = 0;   // answered
    std::uint64_t batches = 0;  // transactions they were stored in
    std::size_t largest = 0;    // most deltas in one batch
  };
  Stats stats() const;

 private:
  struct Pending {
    std::string agent_id;
    protocol::InventoryDelta delta;
    Done done;
  };
  void run();

  Store& store_;
  const std::size_t max_batch_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::vector<std::string> blacklist_;
  Stats stats_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace relman::controller
