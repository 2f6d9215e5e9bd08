// relman-agent: parses options, loads the config, runs.
//
// Built a second time, with RELMAN_TEST_CRASH_POINTS, as the test-only relman-agent-crashpoints
// (tests/CMakeLists.txt): that binary kills itself with SIGKILL when the installer reaches the
// step named by $RELMAN_CRASH_AT, once per $RELMAN_CRASH_MARKER file. The shipped relman-agent
// contains none of it.
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "agent/agent.hpp"

#ifdef RELMAN_TEST_CRASH_POINTS
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#endif

int main(int argc, char** argv) {
  CLI::App app{
      "relman-agent: the relman deployment agent. Dials the controller over mutual TLS,\n"
      "reports inventory and installs signed, authorized packages (crash-safe: a journal\n"
      "in state_dir, resumable downloads, hooks, health-check rollback).\n"
      "Configuration keys include download_url, keep_versions, min_free_space_mb and dpkg;\n"
      "see docs/operator-guide.md for the configuration file."};
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
#ifdef RELMAN_TEST_CRASH_POINTS
  std::function<void(std::string_view)> steps;
  const char* crash_at = std::getenv("RELMAN_CRASH_AT");
  const char* marker = std::getenv("RELMAN_CRASH_MARKER");
  if (crash_at && marker) {
    steps = [at = std::string(crash_at), marker = std::string(marker)](std::string_view step) {
      if (step != at || std::filesystem::exists(marker)) return;
      std::ofstream(marker) << step << "\n";  // once: the restarted agent runs on
      ::raise(SIGKILL);
    };
  }
  auto r = relman::agent::run_agent(*config, steps);
#else
  auto r = relman::agent::run_agent(*config);
#endif
  if (!r) {
    spdlog::critical("{}", r.error().describe());
    std::cerr << "relman-agent: " << r.error().describe() << "\n";
    return 1;
  }
  return 0;
}
