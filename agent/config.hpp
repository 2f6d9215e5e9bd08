// relman-agent's configuration file (JSON). Relative paths are taken from the config file's
// directory; unknown keys are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace relman::agent {

struct AgentConfig {
  std::string agent_id;        // must equal the CN of the agent certificate
  std::string controller_url;  // "wss://controller.example:8443"
  // Where packages are downloaded from (HTTPS, same client certificate): a cache or relay in
  // front of the controller. Empty: the controller_url's host and port.
  std::string download_url;
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
  // Installer.
  std::int64_t keep_versions = 3;       // versions kept per package (1..100), current included
  std::int64_t min_free_space_mb = 64;  // left free on each filesystem after a download
  std::filesystem::path dpkg_command = "/usr/bin/dpkg";  // payload kind "deb"
  std::vector<std::string> dpkg_options;  // before every dpkg action, e.g. "--root=/srv/x"
  std::int64_t dpkg_timeout_seconds = 600;
};

// Errors: config.read_failed, config.invalid, protocol.* (context = key).
Result<AgentConfig> load_agent_config(const std::filesystem::path& file);

}  // namespace relman::agent
