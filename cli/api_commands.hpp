// What the online commands' files share (cli/api_commands.cpp, release_commands.cpp,
// host_commands.cpp): the options every list/show command takes and how they are registered.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/session.hpp"

namespace relman::cli {

struct ListOptions {
  ConnectionOptions conn;
  bool json = false;
};

struct ShowOptions {
  ConnectionOptions conn;
  std::string id;
  bool json = false;
};

void add_connection_options(CLI::App* cmd, ConnectionOptions& o);
// `group list` and `group show ID`.
void add_list_and_show(CLI::App* group, const std::string& what, const std::string& id_help,
                       void (*list)(const ListOptions&, CommandStatus&),
                       void (*show)(const ShowOptions&, CommandStatus&), CommandStatus& status);

// package, release, deploy, deployment (release_commands.cpp).
void add_release_commands(CLI::App& app, CommandStatus& status);
// hosts list|show|inventory-now (host_commands.cpp).
void add_host_commands(CLI::App& app, CommandStatus& status);
// policy list|add|remove, compliance (compliance_commands.cpp).
void add_compliance_commands(CLI::App& app, CommandStatus& status);
// package history, release transition|history|executions|note (lifecycle_commands.cpp);
// after add_release_commands, whose `package` and `release` it extends.
void add_lifecycle_commands(CLI::App& app, CommandStatus& status);

}  // namespace relman::cli
