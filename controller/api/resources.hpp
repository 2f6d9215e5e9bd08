// The API's JSON views of the store's records (what GET returns).
#pragma once

#include <nlohmann/json.hpp>

#include "controller/store/records.hpp"

namespace relman::controller {

nlohmann::json to_json(const PackageRecord& p);
nlohmann::json to_json(const ReleaseRecord& r);
nlohmann::json to_json(const TargetRecord& t);
nlohmann::json to_json(const DeploymentRecord& d);
nlohmann::json to_json(const HostRecord& h, bool with_inventory);
nlohmann::json to_json(const AuditEntry& e);

}  // namespace relman::controller
