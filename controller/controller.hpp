// relman-controller: builds the parts from the configuration and runs them until a signal.
#pragma once

#include "controller/config.hpp"
#include "controller/database_config.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

// Returns when SIGINT/SIGTERM arrives (ok) or when start-up fails (the error).
Result<void> run_controller(const ControllerConfig& config, const DatabaseConfig& database);

}  // namespace relman::controller
