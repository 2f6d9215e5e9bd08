// relman login|logout and the registration of every online command. The commands talk to
// the controller's REST API only, through protocol::HttpsClient, and never trust the server's
// JSON: every field is read with its type checked, and a missing one prints "-". The domains'
// commands are in release_commands.cpp (package, release, deploy, deployment) and
// host_commands.cpp (hosts).
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

struct LoginOptions {
  ConnectionOptions conn;
  std::string user;
  bool password_stdin = false;
  std::string password_file;
};

void run_login(const LoginOptions& o, CommandStatus& status) {
  auto settings = resolve_settings(o.conn, /*need_token=*/false);
  if (!settings && settings.error().code == "cli.not_logged_in") {
    return report_error(
        status,
        Error{"cli.missing_option", "give --url and --ca (or set RELMAN_URL and RELMAN_CA)", {}});
  }
  if (!settings) return report_error(status, settings.error());
  settings->token.clear();  // a login never sends an old token
  std::error_code ec;
  auto ca = fs::absolute(settings->ca, ec);
  if (ec) return report_error(status, Error{"cli.ca_missing", ec.message(), settings->ca});
  settings->ca = ca.lexically_normal().string();

  Result<std::string> password = fail("cli.no_password", "no password given");
  if (!o.password_file.empty()) {
    std::ifstream in(o.password_file, std::ios::binary);
    if (!in) {
      return report_error(status, Error{"cli.password_file_unreadable",
                                        "cannot read the password file", o.password_file});
    }
    password = read_password_line(in, o.password_file);
  } else {
    password = read_password_stdin(/*prompt=*/!o.password_stdin);
  }
  if (!password) return report_error(status, password.error());

  auto api = ApiClient::open(*settings);
  if (!api) return report_error(status, api.error());
  auto r =
      api->call("POST", "/api/v1/auth/login", json{{"username", o.user}, {"password", *password}});
  if (!r) return report_error(status, r.error());
  const json* token = field(*r, "token");
  auto expires = integer(*r, "expires_at");
  if (!token || !token->is_string() || token->get<std::string>().empty() || !expires) {
    return report_error(status, Error{"cli.bad_response",
                                      "the controller's login answer has no token", settings->url});
  }
  std::string username = o.user;
  if (const json* u = field(*r, "user")) {
    if (const json* name = field(*u, "username"); name && name->is_string()) {
      username = name->get<std::string>();
    }
  }
  Session s{settings->url, settings->ca, token->get<std::string>(), username, *expires};
  if (auto w = write_session(session_path(), s); !w) return report_error(status, w.error());
  std::cout << "logged in to " << settings->url << " as " << printable(username)
            << " (token expires at " << iso_time(*expires) << ")\n";
}

void run_logout(const ConnectionOptions& o, CommandStatus& status) {
  auto settings = resolve_settings(o, /*need_token=*/true);
  if (!settings) return report_error(status, settings.error());
  auto api = ApiClient::open(*settings);
  if (!api) return report_error(status, api.error());
  auto r = api->call("POST", "/api/v1/auth/logout");
  // A token the server no longer knows is already logged out.
  bool gone = !r && (r.error().code == "auth.invalid_token");
  if (!r && !gone) return report_error(status, r.error());
  if (settings->token_from_session) {
    std::error_code ec;
    fs::remove(session_path(), ec);
    if (ec) {
      return report_error(status, Error{"cli.session_write_failed",
                                        "cannot remove the session file: " + ec.message(),
                                        session_path().string()});
    }
  }
  std::cout << "logged out of " << settings->url << (gone ? " (the session had already ended)" : "")
            << "\n";
}

}  // namespace

void add_connection_options(CLI::App* cmd, ConnectionOptions& o) {
  cmd->add_option("--url", o.url,
                  "Controller URL, https://host:port (default: $RELMAN_URL, then the session)");
  cmd->add_option("--ca", o.ca,
                  "CA certificate (PEM) that issued the controller's certificate "
                  "(default: $RELMAN_CA, then the session)");
}

void add_list_and_show(CLI::App* group, const std::string& what, const std::string& id_help,
                       void (*list)(const ListOptions&, CommandStatus&),
                       void (*show)(const ShowOptions&, CommandStatus&), CommandStatus& status) {
  auto list_opts = std::make_shared<ListOptions>();
  auto* list_cmd = group->add_subcommand("list", "List " + what);
  add_connection_options(list_cmd, list_opts->conn);
  list_cmd->add_flag("--json", list_opts->json, "Print the API's JSON ({\"items\": [...]})");
  list_cmd->callback([list_opts, list, &status] { list(*list_opts, status); });

  auto show_opts = std::make_shared<ShowOptions>();
  auto* show_cmd = group->add_subcommand("show", "Show one of the " + what);
  add_connection_options(show_cmd, show_opts->conn);
  show_cmd->add_option("ID", show_opts->id, id_help)->required();
  show_cmd->add_flag("--json", show_opts->json, "Print the API's JSON");
  show_cmd->callback([show_opts, show, &status] { show(*show_opts, status); });
}

void add_api_commands(CLI::App& app, CommandStatus& status) {
  // login / logout
  auto login_opts = std::make_shared<LoginOptions>();
  auto* login = app.add_subcommand(
      "login",
      "Log in to a controller and save the session (url, CA, token) in $RELMAN_SESSION or "
      "~/.config/relman/session.json (mode 0600)");
  add_connection_options(login, login_opts->conn);
  login->add_option("--user", login_opts->user, "User name")->required();
  auto* pw_stdin = login->add_flag(
      "--password-stdin", login_opts->password_stdin,
      "Read the password from the first line of stdin (without this and --password-file, "
      "it is asked for, unechoed on a terminal)");
  login
      ->add_option("--password-file", login_opts->password_file,
                   "Read the password from the first line of this file")
      ->excludes(pw_stdin);
  login->callback([login_opts, &status] { run_login(*login_opts, status); });

  auto logout_opts = std::make_shared<ConnectionOptions>();
  auto* logout =
      app.add_subcommand("logout", "End the session on the controller and remove the session file");
  add_connection_options(logout, *logout_opts);
  logout->callback([logout_opts, &status] { run_logout(*logout_opts, status); });

  add_release_commands(app, status);
  add_lifecycle_commands(app, status);
  add_host_commands(app, status);
  add_compliance_commands(app, status);
}

}  // namespace relman::cli
