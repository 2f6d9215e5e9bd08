#include "controller/inventory/compliance_report.hpp"

namespace relman::controller::inventory {

Result<ComplianceReport> compliance_report(Store& store, const std::optional<std::string>& group,
                                           const std::optional<std::string>& agent_id) {
  RELMAN_TRY(policies, store.software_policies(group));
  if (policies.empty()) return ComplianceReport{};
  RELMAN_TRY(facts, store.cmdb_host_facts());
  RELMAN_TRY(installed, store.installed_packages(policy_packages(policies)));
  return evaluate_compliance(policies, facts, installed, agent_id);
}

}  // namespace relman::controller::inventory
