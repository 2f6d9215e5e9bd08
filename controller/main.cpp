// relman-controller: parses options, loads the config, runs.
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "controller/controller.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "relman-controller: the relman release controller (REST API, DML, agent "
      "gateway).\nSee docs/operator-guide.md for the configuration file."};
  std::string config_file = "/etc/relman/controller.json";
  std::string log_level = "info";
  app.add_option("-c,--config", config_file, "configuration file (JSON)")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  auto config = relman::controller::load_controller_config(config_file);
  if (!config) {
    std::cerr << "relman-controller: " << config.error().describe() << "\n";
    return 2;
  }
  auto database = relman::controller::load_database_config(config_file, config->database());
  if (!database) {
    std::cerr << "relman-controller: " << database.error().describe() << "\n";
    return 2;
  }
  auto r = relman::controller::run_controller(*config, *database);
  if (!r) {
    spdlog::critical("{}", r.error().describe());
    std::cerr << "relman-controller: " << r.error().describe() << "\n";
    return 1;
  }
  return 0;
}
