// relman-agent: parses options, loads the config, runs.
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "agent/agent.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "relman-agent: the relman deployment agent. Dials the controller over mutual TLS,\n"
      "reports inventory and installs signed, authorized packages.\n"
      "See docs/operator-guide.md for the configuration file."};
  std::string config_file = "/etc/relman/agent.json";
  std::string log_level = "info";
  app.add_option("-c,--config", config_file, "configuration file (JSON)")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  auto config = relman::agent::load_agent_config(config_file);
  if (!config) {
    std::cerr << "relman-agent: " << config.error().describe() << "\n";
    return 2;
  }
  auto r = relman::agent::run_agent(*config);
  if (!r) {
    spdlog::critical("{}", r.error().describe());
    std::cerr << "relman-agent: " << r.error().describe() << "\n";
    return 1;
  }
  return 0;
}
