// The lifecycle fields as JSON: what the API shows, what the audit log records as before/after
// and how the store keeps them. lifecycle_from_json reads only what lifecycle_to_json wrote
// (the store's own column), so it fills defaults for missing keys instead of refusing them.
#pragma once

#include <nlohmann/json.hpp>

#include "controller/releases/lifecycle.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

nlohmann::json lifecycle_to_json(const ReleaseState& s);
// release.invalid_state when a state, kind or policy name is unknown.
Result<ReleaseState> lifecycle_from_json(const nlohmann::json& j);

}  // namespace relman::controller
