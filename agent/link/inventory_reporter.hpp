// Which inventory message the agent sends: the full report first, then deltas against the last
// report the controller acknowledged (InventoryAck). Reports sent but not yet acknowledged are
// remembered (a few) so an ack can name any of them; when the controller asks for a full report
// (it cannot apply a delta), the acknowledged base is dropped and the next message is full.
// Runs on the link's thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocol/messages.hpp"

namespace relman::agent {

class InventoryReporter {
 public:
  // The message for a freshly collected report: a delta when there is an acknowledged base and
  // `full` is false and the delta is smaller than the report; the full report otherwise.
  protocol::Message next(const protocol::InventoryReport& report, bool full);
  // The controller stored the report named `hash`. An unknown hash is ignored.
  void acknowledged(const std::string& hash);
  // The controller needs a full report: forget the base.
  void reset();

  const std::string& base_hash() const { return base_hash_; }

 private:
  static constexpr std::size_t kMaxUnacknowledged = 4;
  std::deque<std::pair<std::string, nlohmann::json>> sent_;  // hash -> document, oldest first
  std::string base_hash_;
  nlohmann::json base_;
};

}  // namespace relman::agent
