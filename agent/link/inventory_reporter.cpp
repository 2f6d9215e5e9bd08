#include "agent/link/inventory_reporter.hpp"

namespace relman::agent {

protocol::Message InventoryReporter::next(const protocol::InventoryReport& report, bool full) {
  auto doc = protocol::inventory_document(report);
  protocol::Message out = report;
  if (!full && !base_hash_.empty()) {
    protocol::InventoryDelta delta{base_hash_, report.hash, protocol::diff_inventory(base_, doc)};
    protocol::Message candidate = delta;
    // Many changes (a reinstalled host) can make the delta larger than the report itself.
    if (protocol::encode_message(candidate).size() < protocol::encode_message(out).size()) {
      out = std::move(candidate);
    }
  }
  std::erase_if(sent_, [&](const auto& s) { return s.first == report.hash; });
  sent_.emplace_back(report.hash, std::move(doc));
  if (sent_.size() > kMaxUnacknowledged) sent_.pop_front();
  return out;
}

void InventoryReporter::acknowledged(const std::string& hash) {
  for (auto it = sent_.begin(); it != sent_.end(); ++it) {
    if (it->first != hash) continue;
    base_hash_ = hash;
    base_ = std::move(it->second);
    sent_.erase(sent_.begin(), it + 1);  // older reports can no longer be acknowledged usefully
    return;
  }
}

void InventoryReporter::reset() {
  base_hash_.clear();
  base_ = nlohmann::json();
}

}  // namespace relman::agent
