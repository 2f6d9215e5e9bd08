// relman package|release|deploy|deployment: the DML, releases and deployments over the REST
// API (every field of the server's JSON read with its type checked).
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

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::chrono::milliseconds kPollInterval{500};

// ---- deployments on the terminal ----

std::string target_progress(const json& t) {
  auto done = integer(t, "bytes_done"), total = integer(t, "bytes_total");
  if (!done || !total || *total <= 0) return "-";
  return std::to_string(std::clamp<std::int64_t>(*done * 100 / *total, 0, 100)) + "%";
}

std::string target_error(const json& t) {
  const json* e = field(t, "error");
  if (!e || !e->is_object()) return "-";
  return text(*e, "code") + ": " + text(*e, "message");
}

void print_targets(const json& deployment, const std::string& indent) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : array_of(deployment, "targets")) {
    rows.push_back({text(t, "host"), text(t, "status"), text(t, "phase"), target_progress(t),
                    text(t, "installed_version"), target_error(t)});
  }
  print_table({"HOST", "STATUS", "PHASE", "PROGRESS", "INSTALLED", "ERROR"}, rows, indent);
}

void print_deployment(const json& d) {
  print_fields({{"deployment", text(d, "id")},
                {"release", text(d, "release_id")},
                {"package", text(d, "package") + " " + text(d, "version") + " (id " +
                                text(d, "package_id") + ")"},
                {"status", text(d, "status")},
                {"allow downgrade", text(d, "allow_downgrade")},
                {"created", time_text(d, "created_at") + " by " + text(d, "created_by")},
                {"expires", time_text(d, "expires_at")}});
  std::cout << "\n";
  print_targets(d, "");
}

std::vector<std::string> deployment_row(const json& d) {
  return {text(d, "id"),
          text(d, "release_id"),
          text(d, "package"),
          text(d, "version"),
          text(d, "status"),
          std::to_string(array_of(d, "targets").size()),
          time_text(d, "created_at")};
}

const std::vector<std::string> kDeploymentHeader{"ID",     "RELEASE", "PACKAGE", "VERSION",
                                                 "STATUS", "HOSTS",   "CREATED"};

void run_package_upload(const ConnectionOptions& conn, const std::string& file, bool as_json,
                        CommandStatus& status) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return report_error(status, Error{"cli.file_not_found", "no such package file", file});
  }
  auto api = ApiClient::connect(conn);
  if (!api) return report_error(status, api.error());
  auto r = api->upload(file);
  if (!r) return report_error(status, r.error());
  if (as_json) return print_json(*r);
  std::cout << "uploaded " << text(*r, "name") << " " << text(*r, "version") << " as package "
            << text(*r, "id") << " (sha256 " << text(*r, "sha256") << ")\n";
}

struct PackageStepOptions {
  ConnectionOptions conn;
  std::string id;
  std::string reason;
  bool json = false;
};

// One DML lifecycle step: test, authorize or revoke.
void run_package_step(const std::string& action, const PackageStepOptions& o,
                      CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"action", action}};
  if (!o.reason.empty()) body["reason"] = o.reason;
  auto r = api->call("POST", "/api/v1/packages/" + percent_encode(o.id) + "/transitions", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::string next;
  for (const auto& a : array_of(*r, "allowed_actions")) {
    next += (next.empty() ? "" : ", ") + (a.is_string() ? printable(a.get<std::string>()) : "?");
  }
  std::cout << "package " << text(*r, "id") << " (" << text(*r, "name") << " "
            << text(*r, "version") << ") is now " << text(*r, "status");
  const auto cancelled = r->value("cancelled_targets", 0);
  if (cancelled > 0) std::cout << "; " << cancelled << " order(s) not yet sent were failed";
  std::cout << "; next: " << (next.empty() ? "none" : next) << "\n";
}

void run_package_list(const ListOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/packages");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *items) {
    rows.push_back({text(p, "id"), text(p, "name"), text(p, "version"), text(p, "platform"),
                    size_text(p, "size"), text(p, "uploaded_by"), time_text(p, "uploaded_at")});
  }
  print_table({"ID", "NAME", "VERSION", "PLATFORM", "SIZE", "UPLOADED BY", "UPLOADED"}, rows);
}

void run_package_show(const ShowOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto p = api->call("GET", "/api/v1/packages/" + percent_encode(o.id));
  if (!p) return report_error(status, p.error());
  if (o.json) return print_json(*p);
  std::string signers;
  for (const auto& k : array_of(*p, "signer_key_ids")) {
    if (!signers.empty()) signers += ", ";
    signers += k.is_string() ? printable(k.get<std::string>()) : "?";
  }
  print_fields({{"package", text(*p, "id")},
                {"name", text(*p, "name")},
                {"version", text(*p, "version")},
                {"platform", text(*p, "platform")},
                {"payload", text(*p, "payload_kind")},
                {"description", text(*p, "description")},
                {"size", size_text(*p, "size") + " (" + text(*p, "file_count") + " files)"},
                {"sha256", text(*p, "sha256")},
                {"manifest sha256", text(*p, "manifest_sha256")},
                {"signed by", signers.empty() ? "-" : signers},
                {"status", text(*p, "status")},
                {"uploaded", time_text(*p, "uploaded_at") + " by " + text(*p, "uploaded_by")}});
}

struct ReleaseCreateOptions {
  ConnectionOptions conn;
  std::string title;
  std::string description;
  bool json = false;
};

void run_release_create(const ReleaseCreateOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"title", o.title}};
  if (!o.description.empty()) body["description"] = o.description;
  auto r = api->call("POST", "/api/v1/releases", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::cout << "registered release " << text(*r, "number") << " (id " << text(*r, "id") << ")\n";
}

void run_release_list(const ListOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/releases");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *items) {
    rows.push_back({text(r, "id"), text(r, "number"), text(r, "state"), text(r, "created_by"),
                    time_text(r, "created_at"), text(r, "title")});
  }
  print_table({"ID", "NUMBER", "STATE", "CREATED BY", "CREATED", "TITLE"}, rows);
}

void run_release_show(const ShowOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto r = api->call("GET", "/api/v1/releases/" + percent_encode(o.id));
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  print_fields({{"release", text(*r, "number") + " (id " + text(*r, "id") + ")"},
                {"title", text(*r, "title")},
                {"description", text(*r, "description")},
                {"state", text(*r, "state")},
                {"created", time_text(*r, "created_at") + " by " + text(*r, "created_by")},
                {"updated", time_text(*r, "updated_at")}});
  const auto& deployments = array_of(*r, "deployments");
  if (deployments.empty()) {
    std::cout << "\nno deployments\n";
    return;
  }
  for (const auto& d : deployments) {
    std::cout << "\ndeployment " << text(d, "id") << ": " << text(d, "package") << " "
              << text(d, "version") << ", " << text(d, "status") << " (created "
              << time_text(d, "created_at") << " by " << text(d, "created_by") << ")\n";
    print_targets(d, "  ");
  }
}

struct DeployOptions {
  ConnectionOptions conn;
  std::int64_t release_id = 0;
  std::int64_t package_id = 0;
  std::string package;
  std::string version;
  std::vector<std::string> hosts;
  std::int64_t expires_in = 0;
  bool allow_downgrade = false;
  std::int64_t wait = 0;
  bool json = false;
};

// Polls the deployment until it ends or `wait` passes; the exit code says which.
void wait_for_deployment(ApiClient& api, const DeployOptions& o, std::int64_t id,
                         CommandStatus& status) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(o.wait);
  const std::string target = "/api/v1/deployments/" + std::to_string(id);
  json last;
  std::map<std::string, std::string> seen;  // host -> last printed status
  while (true) {
    auto remaining = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
    auto d = api.call(
        "GET", target, std::nullopt,
        std::clamp(remaining + std::chrono::seconds(1), std::chrono::seconds(1), kRequestTimeout));
    if (!d) {
      // The network may come back before the wait ends; the API's own refusals are final.
      bool transport =
          d.error().code.starts_with("http.") && !d.error().code.starts_with("http.status_");
      if (!transport || Clock::now() + kPollInterval > deadline) {
        return report_error(status, d.error());
      }
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    last = std::move(*d);
    std::string state = text(last, "status");
    if (!o.json) {
      for (const auto& t : array_of(last, "targets")) {
        std::string host = text(t, "host"), now = text(t, "status");
        if (seen[host] != now && now != "pending" && now != "succeeded" && now != "failed") {
          std::cout << "  " << host << ": " << now << "\n" << std::flush;
        }
        seen[host] = now;
      }
    }
    if (state == "succeeded" || state == "failed") break;
    if (Clock::now() + kPollInterval > deadline) {
      if (o.json) {
        print_json(last);
      } else {
        print_targets(last, "  ");
      }
      report_error(
          status, Error{"deployment.still_running",
                        "deployment " + std::to_string(id) + " is still " + state + " after " +
                            std::to_string(o.wait) + " s; follow it with 'relman deployment show " +
                            std::to_string(id) + "'",
                        {}});
      status.exit_code = 3;
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string state = text(last, "status");
  if (o.json) {
    print_json(last);
  } else {
    std::cout << "deployment " << id << " " << state << "\n";
    print_targets(last, "  ");
  }
  if (state == "failed") {
    std::size_t failed = 0, total = array_of(last, "targets").size();
    for (const auto& t : array_of(last, "targets")) failed += text(t, "status") == "failed";
    report_error(status,
                 Error{"deployment.failed",
                       "deployment " + std::to_string(id) + " failed on " + std::to_string(failed) +
                           " of " + std::to_string(total) + " hosts",
                       {}});
  }
}

void run_deploy(const DeployOptions& o, CommandStatus& status) {
  if (o.package_id == 0 && (o.package.empty() || o.version.empty())) {
    return report_error(status, Error{"cli.package_required",
                                      "name the package with --package-id, or with --package "
                                      "and --version",
                                      {}});
  }
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"hosts", o.hosts}};
  if (o.package_id > 0) {
    body["package_id"] = o.package_id;
  } else {
    body["package"] = o.package;
    body["version"] = o.version;
  }
  if (o.expires_in > 0) body["expires_in_seconds"] = o.expires_in;
  if (o.allow_downgrade) body["allow_downgrade"] = true;
  auto d =
      api->call("POST", "/api/v1/releases/" + std::to_string(o.release_id) + "/deployments", body);
  if (!d) return report_error(status, d.error());
  auto id = integer(*d, "id");
  if (!id) {
    return report_error(
        status, Error{"cli.bad_response", "the controller's answer has no deployment id", {}});
  }
  if (o.json && o.wait <= 0) return print_json(*d);
  if (!o.json) {
    std::cout << "deployment " << *id << " created: " << text(*d, "package") << " "
              << text(*d, "version") << " to " << array_of(*d, "targets").size() << " hosts\n";
    for (const auto& w : array_of(*d, "warnings")) {
      if (w.is_string()) std::cout << "warning: " << printable(w.get<std::string>()) << "\n";
    }
    std::cout << std::flush;
  }
  if (o.wait > 0) wait_for_deployment(*api, o, *id, status);
}

void run_deployment_show(const ShowOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto d = api->call("GET", "/api/v1/deployments/" + percent_encode(o.id));
  if (!d) return report_error(status, d.error());
  if (o.json) return print_json(*d);
  print_deployment(*d);
}

void run_deployment_list(const ListOptions& o, CommandStatus& status) {
  auto api = ApiClient::connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/deployments");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *items) rows.push_back(deployment_row(d));
  print_table(kDeploymentHeader, rows);
}

}  // namespace

void add_release_commands(CLI::App& app, CommandStatus& status) {
  // package
  auto* package = app.add_subcommand("package", "Packages in the controller's DML");
  package->require_subcommand(1);
  auto upload_conn = std::make_shared<ConnectionOptions>();
  auto upload_file = std::make_shared<std::string>();
  auto upload_json = std::make_shared<bool>(false);
  auto* upload = package->add_subcommand(
      "upload", "Upload a signed package file; the controller verifies it before accepting it");
  add_connection_options(upload, *upload_conn);
  upload->add_option("FILE", *upload_file, "Package file (.relpkg)")->required();
  upload->add_flag("--json", *upload_json, "Print the API's JSON");
  upload->callback([upload_conn, upload_file, upload_json, &status] {
    run_package_upload(*upload_conn, *upload_file, *upload_json, status);
  });
  add_list_and_show(package, "packages in the DML", "Package id (a number)", run_package_list,
                    run_package_show, status);
  struct Step {
    const char* action;
    const char* help;
    bool reason_required;
  };
  for (const auto& step : {Step{"test", "Mark an uploaded version as tested", false},
                           Step{"authorize",
                                "Authorize a tested version for deployment (only authorized "
                                "versions are deployed)",
                                false},
                           Step{"revoke",
                                "Revoke a version for good: it is never deployed again and "
                                "orders not yet sent fail",
                                true}}) {
    auto opts = std::make_shared<PackageStepOptions>();
    auto* cmd = package->add_subcommand(step.action, step.help);
    add_connection_options(cmd, opts->conn);
    cmd->add_option("ID", opts->id, "Package id (a number)")->required();
    auto* reason = cmd->add_option("--reason", opts->reason, "Why (kept in the package's history)");
    if (step.reason_required) reason->required();
    cmd->add_flag("--json", opts->json, "Print the API's JSON");
    const std::string action = step.action;
    cmd->callback([action, opts, &status] { run_package_step(action, *opts, status); });
  }

  // release
  auto* release = app.add_subcommand("release", "Releases (the unit of change)");
  release->require_subcommand(1);
  auto create_opts = std::make_shared<ReleaseCreateOptions>();
  auto* create = release->add_subcommand("create", "Register a new release");
  add_connection_options(create, create_opts->conn);
  create->add_option("--title", create_opts->title, "Title (up to 200 bytes)")->required();
  create->add_option("--description", create_opts->description, "Description");
  create->add_flag("--json", create_opts->json, "Print the API's JSON");
  create->callback([create_opts, &status] { run_release_create(*create_opts, status); });
  add_list_and_show(release, "releases (show includes their deployments and per-host status)",
                    "Release id (the number after 'id', not REL-…)", run_release_list,
                    run_release_show, status);

  // deploy
  auto deploy_opts = std::make_shared<DeployOptions>();
  auto* deploy = app.add_subcommand(
      "deploy",
      "Deploy a package of a release to hosts.\n"
      "With --wait, exits 0 if the deployment succeeded, 1 if it failed, 3 if it was still "
      "running when the wait ended");
  add_connection_options(deploy, deploy_opts->conn);
  deploy->add_option("--release", deploy_opts->release_id, "Release id (a number)")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* pkg_id = deploy
                     ->add_option("--package-id", deploy_opts->package_id,
                                  "Package id in the DML (or use --package and --version)")
                     ->check(CLI::PositiveNumber);
  auto* pkg_name = deploy->add_option("--package", deploy_opts->package, "Package name");
  auto* pkg_version = deploy->add_option("--version", deploy_opts->version, "Package version");
  pkg_id->excludes(pkg_name)->excludes(pkg_version);
  pkg_name->needs(pkg_version);
  pkg_version->needs(pkg_name);
  deploy->add_option("--host", deploy_opts->hosts, "Target agent id (repeat for more hosts)")
      ->required();
  deploy
      ->add_option("--expires-in", deploy_opts->expires_in,
                   "Seconds the agents may still start the order (60 to 2592000; default: "
                   "the controller's)")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{30 * 86400}));
  deploy->add_flag("--allow-downgrade", deploy_opts->allow_downgrade,
                   "Allow installing a version older than the one a host runs");
  deploy
      ->add_option("--wait", deploy_opts->wait,
                   "Wait up to this many seconds for the deployment to finish and print each "
                   "host's result")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{7 * 86400}));
  deploy->add_flag("--json", deploy_opts->json,
                   "Print the API's JSON for the deployment (with --wait: its final state)");
  deploy->callback([deploy_opts, &status] { run_deploy(*deploy_opts, status); });

  // deployment
  auto* deployment = app.add_subcommand("deployment", "Deployments and their per-host status");
  deployment->require_subcommand(1);
  add_list_and_show(deployment, "deployments", "Deployment id (a number)", run_deployment_list,
                    run_deployment_show, status);
}

}  // namespace relman::cli
