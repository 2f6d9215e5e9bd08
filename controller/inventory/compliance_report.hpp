// The compliance report from the store: the policies (of a group), the CMDB's host facts (the
// planner's groups: Store::cmdb_host_facts) and the installed versions of the policies'
// packages, evaluated by compliance.hpp. Blocks on the store: run it off the network threads.
#pragma once

#include <optional>
#include <string>

#include "controller/inventory/compliance.hpp"
#include "controller/store/store.hpp"

namespace relman::controller::inventory {

Result<ComplianceReport> compliance_report(Store& store, const std::optional<std::string>& group,
                                           const std::optional<std::string>& agent_id);

}  // namespace relman::controller::inventory
