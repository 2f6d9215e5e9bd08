// Software policies and compliance (issue 5, item 4): GET/POST /software-policies,
// DELETE /software-policies/{id}, GET /compliance. The rules are in
// controller/inventory/software_policy.hpp and compliance.hpp.
#include <spdlog/spdlog.h>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/inventory/compliance_report.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

// An optional query parameter of 1..max bytes.
Result<std::optional<std::string>> query_text(const std::map<std::string, std::string>& query,
                                              const char* key, std::size_t max) {
  auto it = query.find(key);
  if (it == query.end()) return std::optional<std::string>();
  if (it->second.empty() || it->second.size() > max) {
    return fail("request.invalid_query",
                std::string(key) + " must be 1 to " + std::to_string(max) + " bytes", key);
  }
  return std::optional<std::string>(it->second);
}

// `items` from offset to offset + limit.
json page_of(const json& items, const Page& page) {
  json out = json::array();
  const auto size = static_cast<std::int64_t>(items.size());
  for (std::int64_t i = page.offset; i < size && i < page.offset + page.limit; ++i) {
    out.push_back(items[static_cast<std::size_t>(i)]);
  }
  auto body = page_json(out, page);
  body["total"] = size;
  return body;
}
}  // namespace

void add_compliance_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/software-policies", Access::kUser, [&s](ApiCall& call) {
    auto group = query_text(call.query, "group", inventory::kMaxPolicyGroupLength);
    if (!group) return from_error(group.error());
    auto policies = s.store.software_policies(*group);
    if (!policies) return from_error(policies.error());
    json items = json::array();
    for (const auto& p : *policies) items.push_back(inventory::to_json(p));
    return json_response(200, page_of(items, call.page));
  });

  routes.add("POST", "/software-policies", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    auto draft = inventory::policy_draft_from_json(*doc);
    if (!draft) return from_error(draft.error());
    auto policy = s.store.create_software_policy(*draft, call.actor().username);
    if (!policy) return from_error(policy.error());
    spdlog::info("API: {} added software policy {} ({} {} in group '{}')", call.actor().username,
                 policy->id, policy->rule.manager, policy->rule.package, policy->rule.group);
    return json_response(201, inventory::to_json(*policy));
  });

  routes.add("DELETE", "/software-policies/{id}", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "software policy ids are numbers");
    auto r = s.store.delete_software_policy(*id, call.actor().username);
    if (!r) return from_error(r.error());
    spdlog::info("API: {} removed software policy {}", call.actor().username, *id);
    return json_response(200, json{{"deleted", *id}});
  });

  // Per policy its counts; the out-of-policy hosts (by agent id) are the page.
  routes.add("GET", "/compliance", Access::kUser, [&s](ApiCall& call) {
    auto group = query_text(call.query, "group", inventory::kMaxPolicyGroupLength);
    if (!group) return from_error(group.error());
    auto agent = query_text(call.query, "agent_id", protocol::kMaxIdLength);
    if (!agent) return from_error(agent.error());
    auto report = inventory::compliance_report(s.store, *group, *agent);
    if (!report) return from_error(report.error());
    json policies = json::array();
    for (const auto& p : report->policies) policies.push_back(inventory::to_json(p));
    json hosts = json::array();
    for (const auto& h : report->hosts) hosts.push_back(inventory::to_json(h));
    auto body = page_of(hosts, call.page);
    body["policies"] = std::move(policies);
    return json_response(200, body);
  });
}

}  // namespace relman::controller
