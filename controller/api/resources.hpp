// The API's JSON views of the store's records (what GET returns).
#pragma once

#include <nlohmann/json.hpp>

#include "controller/store/records.hpp"

namespace relman::controller {

nlohmann::json to_json(const PackageRecord& p);
nlohmann::json to_json(const ReleaseRecord& r);
nlohmann::json to_json(const TargetRecord& t);
nlohmann::json to_json(const DeploymentRecord& d);
// `stale` is h.is_stale(stale_before).
nlohmann::json to_json(const HostRecord& h, std::int64_t stale_before, bool with_inventory);
nlohmann::json to_json(const AuditEntry& e);

}  // namespace relman::controller
