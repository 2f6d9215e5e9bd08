// relman: the command for people and scripts. Offline commands (pkg, trust, ca) work on
// files; the others talk to the controller's REST API only.
#include <iostream>

#include "cli/commands.hpp"

namespace relman::cli {

void report_error(CommandStatus& status, const Error& error) {
  std::cerr << "relman: " << error.describe() << "\n";
  status.exit_code = 1;
}

}  // namespace relman::cli

int main(int argc, char** argv) {
  CLI::App app{
      "relman: release management that ships software.\n"
      "Offline: pkg (build, sign, verify packages), trust, ca (PKI).\n"
      "Online: login, package, release, deploy, deployment, hosts (through the controller's API)."};
  app.require_subcommand(1);
  relman::cli::CommandStatus status;
  relman::cli::add_pkg_commands(app, status);
  relman::cli::add_ca_commands(app, status);
  relman::cli::add_api_commands(app, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One readable line, like every other failure, and the usage exit code.
    std::cerr << "relman: usage: " << e.what() << " (see 'relman --help')\n";
    return 2;
  }
  return status.exit_code;
}
