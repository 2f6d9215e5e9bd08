// relman-agent: dials the controller (outbound, so NAT and firewalls are no problem), says
// hello, reports inventory, runs deploy orders one at a time on a worker thread, and
// reconnects with jittered exponential backoff when the link drops.
#pragma once

#include <functional>
#include <string_view>

#include "agent/config.hpp"
#include "protocol/error.hpp"

namespace relman::agent {

// Returns on SIGINT/SIGTERM (ok) or when start-up fails (the error). `install_steps` is the
// installer's test seam (InstallerConfig::step_observer); relman-agent never sets it.
Result<void> run_agent(const AgentConfig& config,
                       std::function<void(std::string_view)> install_steps = {});

}  // namespace relman::agent
