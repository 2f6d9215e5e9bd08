// relman-controller: builds the parts from the configuration and runs them until a signal.
#pragma once

#include "controller/config.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

// Returns when SIGINT/SIGTERM arrives (ok) or when start-up fails (the error).
Result<void> run_controller(const ControllerConfig& config);

}  // namespace relman::controller
