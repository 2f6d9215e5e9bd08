// relman hosts list|show|inventory-now: what agents reported, stale hosts, and "inventory
// now" over the REST API.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "cli/api_commands.hpp"
#include "cli/commands.hpp"
#include "cli/json_view.hpp"
#include "cli/password_prompt.hpp"
#include "cli/session.hpp"

namespace relman::cli {
namespace {

using nlohmann::json;

struct HostListOptions {
  ListOptions list;
  bool stale = false;
  bool fresh = false;
  std::string query;
};

void run_hosts_list(const HostListOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.list.conn);
  if (!api) return report_error(status, api.error());
  std::string route = "/api/v1/hosts";
  std::string sep = "?";
  if (o.stale || o.fresh) {
    route += sep + "stale=" + (o.stale ? "true" : "false");
    sep = "&";
  }
  if (!o.query.empty()) route += sep + "q=" + percent_encode(o.query);
  auto items = api->list(route);
  if (!items) return report_error(status, items.error());
  if (o.list.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : *items) {
    rows.push_back({text(h, "agent_id"), text(h, "hostname"), text(h, "os"), text(h, "connected"),
                    text(h, "stale"), time_text(h, "last_seen")});
  }
  print_table({"AGENT ID", "HOSTNAME", "OS", "CONNECTED", "STALE", "LAST SEEN"}, rows);
}

struct InventoryNowOptions {
  ConnectionOptions conn;
  std::string host;
  bool full = false;
  bool json = false;
};

// "Inventory now": the controller asks the host's agent for a report at once.
void run_inventory_now(const InventoryNowOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto r = api->call("POST", "/api/v1/hosts/" + percent_encode(o.host) + "/inventory",
                     json{{"full", o.full}});
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::cout << "asked " << text(*r, "agent_id") << " for a " << text(*r, "requested")
            << " inventory report\n";
}

void run_hosts_show(const ShowOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto h = api->call("GET", "/api/v1/hosts/" + percent_encode(o.id));
  if (!h) return report_error(status, h.error());
  if (o.json) return print_json(*h);
  std::vector<std::pair<std::string, std::string>> fields{
      {"agent id", text(*h, "agent_id")},
      {"hostname", text(*h, "hostname")},
      {"os", text(*h, "os")},
      {"connected", text(*h, "connected")},
      {"first seen", time_text(*h, "first_seen")},
      {"last seen", time_text(*h, "last_seen")}};
  if (const json* inv = field(*h, "inventory"); inv && inv->is_object()) {
    for (const char* key :
         {"os_pretty", "kernel", "architecture", "cpu_model", "cpu_count", "memory_mb"}) {
      if (field(*inv, key)) fields.emplace_back(key, text(*inv, key));
    }
  }
  print_fields(fields);
}

}  // namespace

void add_host_commands(CLI::App& app, CommandStatus& status) {
  auto* hosts = app.add_subcommand("hosts", "Hosts (agents) known to the controller");
  hosts->require_subcommand(1);

  auto list_opts = std::make_shared<HostListOptions>();
  auto* list = hosts->add_subcommand("list", "List hosts");
  add_connection_options(list, list_opts->list.conn);
  auto* stale = list->add_flag("--stale", list_opts->stale,
                               "Only stale hosts: not connected and not seen for the controller's "
                               "host_stale_after_seconds");
  list->add_flag("--fresh", list_opts->fresh, "Only hosts that are not stale")->excludes(stale);
  list->add_option(
      "--query", list_opts->query,
      "Only hosts whose last inventory report matches this host query "
      "(docs/query-language.md), e.g. 'any software.dpkg.packages (name == \"curl\")'");
  list->add_flag("--json", list_opts->list.json, "Print the API's JSON ({\"items\": [...]})");
  list->callback([list_opts, &status] { run_hosts_list(*list_opts, status); });

  auto show_opts = std::make_shared<ShowOptions>();
  auto* show = hosts->add_subcommand("show", "Show one host and its last inventory report");
  add_connection_options(show, show_opts->conn);
  show->add_option("ID", show_opts->id, "Agent id")->required();
  show->add_flag("--json", show_opts->json, "Print the API's JSON");
  show->callback([show_opts, &status] { run_hosts_show(*show_opts, status); });

  // inventory-now, under hosts and at the top level.
  auto now_opts = std::make_shared<InventoryNowOptions>();
  for (auto* parent : {static_cast<CLI::App*>(hosts), &app}) {
    auto* now = parent->add_subcommand(
        "inventory-now",
        "Ask a connected host for an inventory report now (a delta; --full for a full one). "
        "Fails with host.offline when the host is not connected");
    add_connection_options(now, now_opts->conn);
    now->add_option("HOST", now_opts->host, "Agent id")->required();
    now->add_flag("--full", now_opts->full, "Ask for a full report instead of a delta");
    now->add_flag("--json", now_opts->json, "Print the API's JSON");
    now->callback([now_opts, &status] { run_inventory_now(*now_opts, status); });
  }
}

}  // namespace relman::cli
