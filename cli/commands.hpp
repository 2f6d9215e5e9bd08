// The relman command's subcommand groups. Each add_* registers its subcommands on `app`;
// their callbacks print what happened on stdout and, on failure, one line
// "relman: <code>: <message> (<context>)" on stderr, and set `exit_code` non-zero.
#pragma once

#include <CLI/CLI.hpp>

#include "protocol/error.hpp"

namespace relman::cli {

struct CommandStatus {
  int exit_code = 0;
};

// Prints the error's one line to stderr and sets exit_code to 1.
void report_error(CommandStatus& status, const Error& error);

void add_pkg_commands(CLI::App& app,
                      CommandStatus& status);  // pkg keygen|build|sign|verify|inspect, trust init
void add_ca_commands(CLI::App& app, CommandStatus& status);  // ca init|issue
void add_api_commands(
    CLI::App& app,
    CommandStatus& status);  // login, package, release, deploy, hosts, inventory-now

}  // namespace relman::cli
