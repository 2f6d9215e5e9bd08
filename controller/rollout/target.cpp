#include "controller/rollout/target.hpp"

#include <algorithm>

namespace relman::controller::rollout {

TargetSelector::TargetSelector(const PlanTarget& target)
    : target_(target), explicit_(target.hosts.begin(), target.hosts.end()) {}

void TargetSelector::offer(const PlanHost& host, const nlohmann::json& document) {
  if (!offered_.insert(host.id).second) {
    if (!duplicate_) duplicate_ = host.id;
    return;
  }
  if (explicit_.contains(host.id) || (target_.query && query::matches(*target_.query, document))) {
    selected_.push_back(host);
  }
}

Result<std::vector<PlanHost>> TargetSelector::finish() {
  if (duplicate_) {
    return fail("plan.duplicate_host", "host " + *duplicate_ + " was given twice", *duplicate_);
  }
  for (std::size_t i = 0; i < target_.hosts.size(); ++i) {
    if (!offered_.contains(target_.hosts[i])) {
      return fail("plan.unknown_host", "no host " + target_.hosts[i] + " is known",
                  "target.hosts[" + std::to_string(i) + "]");
    }
  }
  if (selected_.empty()) {
    return fail("plan.empty_target", "the target selects no host", "target");
  }
  std::sort(selected_.begin(), selected_.end(),
            [](const PlanHost& a, const PlanHost& b) { return a.id < b.id; });
  return std::move(selected_);
}

}  // namespace relman::controller::rollout
