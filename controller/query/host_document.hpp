// The JSON document a host query is evaluated against, built from what the controller knows
// about one host (docs/query-language.md lists the fields):
//   id, groups                       the host's agent id and its groups
//   hostname, os_id, os_version, os_pretty, kernel, architecture, cpu_model, cpu_count, memory_mb
//                                    the basic fields of its last inventory report
//   os, cpu, memory, dmi, disks, network, filesystems, software
//                                    every collector's facts from that report (report.facts.*)
//   cmdb                             the host CI's CMDB data (stage, criticality, attributes ...)
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::controller::query {

// `inventory` is the stored inventory report (the agent's message, as HostRecord keeps it) or
// an empty object for a host that never reported; pass it with std::move to avoid a copy. Basic
// fields win over a fact of the same name, and id, groups and cmdb win over both. Non-object inputs
// count as empty.
nlohmann::json host_document(const std::string& host_id, const std::vector<std::string>& groups,
                             nlohmann::json inventory,
                             const nlohmann::json& cmdb = nlohmann::json::object());

}  // namespace relman::controller::query
