// relman-agent's configuration file (JSON). Relative paths are taken from the config file's
// directory; unknown keys are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "protocol/error.hpp"

namespace relman::agent {

struct AgentConfig {
  std::string agent_id;                // must equal the CN of the agent certificate
  std::string controller_url;          // "wss://controller.example:8443"
  std::filesystem::path ca;            // CA that issued the controller's certificate
  std::filesystem::path cert;          // this agent's client certificate
  std::filesystem::path key;           // its private key
  std::filesystem::path trust_file;    // trust.json: publishers + the controller's order key
  std::filesystem::path state_dir;     // state.json, downloads
  std::filesystem::path install_root;  // <root>/<package>/<version>, <root>/<package>/current
  std::filesystem::path inventory_root = "/";  // where collectors read /proc, /sys, /var, /etc
  std::int64_t inventory_interval_seconds = 3600;
  std::int64_t heartbeat_seconds = 30;
  std::int64_t reconnect_min_ms = 500;
  std::int64_t reconnect_max_ms = 60000;
};

// Errors: config.read_failed, config.invalid, protocol.* (context = key).
Result<AgentConfig> load_agent_config(const std::filesystem::path& file);

}  // namespace relman::agent
