// relman policy list|add|remove and relman compliance: software policies (a package, at a
// minimum version, required on the hosts of a CMDB group) and the hosts out of policy, over
// the REST API.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "cli/api_commands.hpp"
#include "cli/commands.hpp"
#include "cli/json_view.hpp"

namespace relman::cli {
namespace {

using nlohmann::json;

constexpr int kComplianceMaxPages = 200;
constexpr int kCompliancePageSize = 500;

struct PolicyListOptions {
  ListOptions list;
  std::string group;
};

struct PolicyAddOptions {
  ConnectionOptions conn;
  std::string group, package, manager, min_version, note;
  bool json = false;
};

struct PolicyRemoveOptions {
  ConnectionOptions conn;
  std::string id;
};

struct ComplianceOptions {
  ConnectionOptions conn;
  std::string group;
  std::string agent_id;
  bool json = false;
  bool exit_code = false;
};

std::string min_version_text(const json& obj) {
  const json* v = field(obj, "min_version");
  return v && v->is_string() ? ">= " + text(obj, "min_version") : "any";
}

std::vector<std::string> policy_row(const json& p) {
  return {text(p, "id"),      text(p, "group"),    text(p, "manager"),
          text(p, "package"), min_version_text(p), text(p, "note")};
}

const std::vector<std::string> kPolicyHeader{"ID",      "GROUP",   "MANAGER",
                                             "PACKAGE", "VERSION", "NOTE"};

void run_policy_list(const PolicyListOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.list.conn);
  if (!api) return report_error(status, api.error());
  std::string route = "/api/v1/software-policies";
  if (!o.group.empty()) route += "?group=" + percent_encode(o.group);
  auto items = api->list(route);
  if (!items) return report_error(status, items.error());
  if (o.list.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *items) rows.push_back(policy_row(p));
  print_table(kPolicyHeader, rows);
}

void run_policy_add(const PolicyAddOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"group", o.group}, {"package", o.package}};
  if (!o.manager.empty()) body["manager"] = o.manager;
  if (!o.min_version.empty()) body["min_version"] = o.min_version;
  if (!o.note.empty()) body["note"] = o.note;
  auto r = api->call("POST", "/api/v1/software-policies", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::cout << "policy " << text(*r, "id") << ": hosts in group " << text(*r, "group")
            << " must have " << text(*r, "manager") << " package " << text(*r, "package") << " ("
            << min_version_text(*r) << ")\n";
}

void run_policy_remove(const PolicyRemoveOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto r = api->call("DELETE", "/api/v1/software-policies/" + percent_encode(o.id));
  if (!r) return report_error(status, r.error());
  std::cout << "removed policy " << text(*r, "deleted") << "\n";
}

// Every page of GET /compliance: the first page's policies and all out-of-policy hosts.
Result<json> fetch_compliance(ApiClient& api, const ComplianceOptions& o) {
  std::string route = "/api/v1/compliance?limit=" + std::to_string(kCompliancePageSize);
  if (!o.group.empty()) route += "&group=" + percent_encode(o.group);
  if (!o.agent_id.empty()) route += "&agent_id=" + percent_encode(o.agent_id);
  json report{{"policies", json::array()}, {"items", json::array()}};
  for (int page = 0; page < kComplianceMaxPages; ++page) {
    auto r = api.call("GET", route + "&offset=" + std::to_string(page * kCompliancePageSize));
    if (!r) return fail(r.error());
    const json* items = field(*r, "items");
    const json* policies = field(*r, "policies");
    if (!items || !items->is_array() || !policies || !policies->is_array()) {
      return fail("cli.bad_response", "the controller's compliance report has no items or policies",
                  route);
    }
    if (page == 0) report["policies"] = *policies;
    for (const auto& h : *items) report["items"].push_back(h);
    if (items->size() < static_cast<std::size_t>(kCompliancePageSize)) return report;
  }
  return fail("cli.bad_response", "the controller's compliance report does not end", route);
}

void run_compliance(const ComplianceOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto report = fetch_compliance(*api, o);
  if (!report) return report_error(status, report.error());
  const json& hosts = (*report)["items"];
  if (o.json) {
    print_json(*report);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : (*report)["policies"]) {
      const json& policy = p.contains("policy") ? p["policy"] : json::object();
      rows.push_back({text(policy, "id"), text(policy, "group"), text(policy, "manager"),
                      text(policy, "package"), min_version_text(policy), text(p, "hosts_checked"),
                      text(p, "compliant"), text(p, "out_of_policy")});
    }
    if (rows.empty()) {
      std::cout << "no software policies" << (o.group.empty() ? "" : " for group " + o.group)
                << "\n";
      return;
    }
    print_table(
        {"POLICY", "GROUP", "MANAGER", "PACKAGE", "VERSION", "HOSTS", "COMPLIANT", "OUT OF POLICY"},
        rows);
    std::cout << "\n";
    if (hosts.empty()) {
      std::cout << "every host checked is in policy\n";
    } else {
      rows.clear();
      for (const auto& h : hosts) {
        for (const auto& v : array_of(h, "violations")) {
          std::string installed;
          for (const auto& i : array_of(v, "installed")) {
            if (!installed.empty()) installed += ", ";
            installed += printable(i.is_string() ? i.get<std::string>() : i.dump());
          }
          rows.push_back({text(h, "agent_id"), text(h, "hostname"), text(h, "host_ci"),
                          text(v, "policy"), text(v, "package"), text(v, "reason"),
                          installed.empty() ? "-" : installed, min_version_text(v)});
        }
      }
      std::cout << hosts.size() << " host(s) out of policy:\n";
      print_table({"AGENT ID", "HOSTNAME", "HOST CI", "POLICY", "PACKAGE", "REASON", "INSTALLED",
                   "REQUIRED"},
                  rows);
    }
  }
  if (o.exit_code && !hosts.empty()) status.exit_code = 3;
}

}  // namespace

void add_compliance_commands(CLI::App& app, CommandStatus& status) {
  auto* policy = app.add_subcommand(
      "policy",
      "Software policies: a package (optionally at a minimum version) that every host in a CMDB "
      "group must have; a group is a CI that host CIs are part_of");
  policy->require_subcommand(1);

  auto list_opts = std::make_shared<PolicyListOptions>();
  auto* list = policy->add_subcommand("list", "List software policies");
  add_connection_options(list, list_opts->list.conn);
  list->add_option("--group", list_opts->group, "Only the policies of this group");
  list->add_flag("--json", list_opts->list.json, "Print the API's JSON ({\"items\": [...]})");
  list->callback([list_opts, &status] { run_policy_list(*list_opts, status); });

  auto add_opts = std::make_shared<PolicyAddOptions>();
  auto* add = policy->add_subcommand(
      "add", "Require a package on the hosts of a group (needs the manage_cmdb permission)");
  add_connection_options(add, add_opts->conn);
  add->add_option("--group", add_opts->group, "Name of the CMDB CI the hosts are part_of")
      ->required();
  add->add_option("--package", add_opts->package, "Package name")->required();
  add->add_option("--min-version", add_opts->min_version,
                  "Lowest acceptable version (Debian syntax for dpkg and rpm, SemVer for relman); "
                  "none: any version");
  add->add_option("--manager", add_opts->manager, "dpkg (default), rpm or relman");
  add->add_option("--note", add_opts->note, "Why the package is required");
  add->add_flag("--json", add_opts->json, "Print the API's JSON");
  add->callback([add_opts, &status] { run_policy_add(*add_opts, status); });

  auto remove_opts = std::make_shared<PolicyRemoveOptions>();
  auto* remove = policy->add_subcommand(
      "remove", "Remove a software policy (needs the manage_cmdb permission)");
  add_connection_options(remove, remove_opts->conn);
  remove->add_option("ID", remove_opts->id, "Policy id")->required();
  remove->callback([remove_opts, &status] { run_policy_remove(*remove_opts, status); });

  auto opts = std::make_shared<ComplianceOptions>();
  auto* compliance = app.add_subcommand(
      "compliance",
      "Hosts out of software policy: each policy's counts, then every host that misses a "
      "required package or runs only versions below the minimum");
  add_connection_options(compliance, opts->conn);
  compliance->add_option("--group", opts->group, "Only the policies of this group");
  compliance->add_option("--host", opts->agent_id, "Only this host (agent id)");
  compliance->add_flag("--exit-code", opts->exit_code,
                       "Exit with status 3 when a host is out of policy (for scripts)");
  compliance->add_flag("--json", opts->json,
                       "Print the report as JSON ({\"policies\": [...], \"items\": [...]})");
  compliance->callback([opts, &status] { run_compliance(*opts, status); });
}

}  // namespace relman::cli
