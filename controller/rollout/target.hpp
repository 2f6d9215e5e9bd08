// A deployment's target: the hosts a query selects plus hosts named explicitly. The selector
// takes the candidate hosts one at a time, so a caller can stream them from the store without
// holding every host's facts in memory.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/query/query.hpp"
#include "protocol/error.hpp"

namespace relman::controller::rollout {

struct PlanTarget {
  std::optional<query::Query> query;  // evaluated against query::host_document()
  std::vector<std::string> hosts;     // agent ids, selected whatever the query says
};

// One host the plan will deploy to; groups decide which windows apply.
struct PlanHost {
  std::string id;
  std::vector<std::string> groups;
};

class TargetSelector {
 public:
  // `target` must outlive the selector.
  explicit TargetSelector(const PlanTarget& target);

  // Offers one known host with its query document; keeps it if the target selects it.
  void offer(const PlanHost& host, const nlohmann::json& document);

  // The selected hosts, sorted by id. plan.duplicate_host when a host was offered twice,
  // plan.unknown_host (context "target.hosts[i]") for an explicit host never offered,
  // plan.empty_target when nothing was selected.
  Result<std::vector<PlanHost>> finish();

 private:
  const PlanTarget& target_;
  std::set<std::string, std::less<>> explicit_;
  std::set<std::string, std::less<>> offered_;
  std::optional<std::string> duplicate_;
  std::vector<PlanHost> selected_;
};

}  // namespace relman::controller::rollout
