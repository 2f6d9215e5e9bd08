// What inventory reconciliation put in the CMDB: the history of what reports changed for a CI,
// and which hosts run a package (in a version). The reconciliation itself happens when the
// agent gateway stores a report (controller/inventory).
#include <nlohmann/json.hpp>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr std::size_t kMaxPackageText = 256;

json to_json(const InventoryChange& c) {
  auto detail = json::parse(c.detail_json, nullptr, false);
  return json{{"id", c.id},
              {"host_ci", c.host_ci_id},
              {"ci", c.ci_id},
              {"action", c.action},
              {"detail", detail.is_discarded() ? json::object() : detail},
              {"report", c.report_hash},
              {"at", c.at}};
}

json to_json(const SoftwareInstall& i) {
  return json{{"host_ci", i.host_ci_id}, {"host", i.host_name},
              {"agent_id", i.agent_id},  {"software_ci", i.software_ci_id},
              {"manager", i.manager},    {"package", i.name},
              {"version", i.version},    {"architecture", i.architecture},
              {"since", i.since}};
}

// A query parameter of 1..kMaxPackageText bytes; absent is nullopt when optional.
Result<std::optional<std::string>> text_param(const std::map<std::string, std::string>& query,
                                              const char* key, bool required) {
  auto it = query.find(key);
  if (it == query.end()) {
    if (!required) return std::optional<std::string>();
    return fail("request.invalid_query", std::string(key) + " is required", key);
  }
  if (it->second.empty() || it->second.size() > kMaxPackageText) {
    return fail("request.invalid_query",
                std::string(key) + " must be 1 to " + std::to_string(kMaxPackageText) + " bytes",
                key);
  }
  return std::optional<std::string>(it->second);
}
}  // namespace

void add_inventory_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/cmdb/cis/{id}/inventory-changes", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "CI ids are numbers");
    auto changes = s.store.inventory_changes(*id, call.page);
    if (!changes) return from_error(changes.error());
    json items = json::array();
    for (const auto& c : *changes) items.push_back(to_json(c));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("GET", "/cmdb/software/hosts", Access::kUser, [&s](ApiCall& call) {
    auto name = text_param(call.query, "package", true);
    if (!name) return from_error(name.error());
    auto version = text_param(call.query, "version", false);
    if (!version) return from_error(version.error());
    auto hosts = s.store.hosts_running(**name, *version, call.page);
    if (!hosts) return from_error(hosts.error());
    json items = json::array();
    for (const auto& h : *hosts) items.push_back(to_json(h));
    return json_response(200, page_json(items, call.page));
  });
}

}  // namespace relman::controller
