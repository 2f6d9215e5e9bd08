// relman-agent: dials the controller (outbound, so NAT and firewalls are no problem), says
// hello, reports inventory, runs deploy orders one at a time on a worker thread, and
// reconnects with jittered exponential backoff when the link drops.
#pragma once

#include "agent/config.hpp"
#include "protocol/error.hpp"

namespace relman::agent {

// Returns on SIGINT/SIGTERM (ok) or when start-up fails (the error).
Result<void> run_agent(const AgentConfig& config);

}  // namespace relman::agent
