// The lifecycle stages of a CI and the moves between them.
//
//   development  -> homologation, production, retired
//   homologation -> production, development, retired
//   production   -> in_store, development, retired
//   in_store     -> production, development, retired
//   retired      -> (nothing: retirement is final)
//
// development -> production is allowed because closing a release promotes its linked CIs
// (issue 3); production -> development is a CI taken back for rework; in_store is the
// definitive hardware store (spares) and goes back into service from there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller::cmdb {

const std::vector<std::string>& lifecycle_stages();
bool valid_stage(std::string_view stage);

// The stages `from` may move to (empty for retired and for unknown stages).
std::vector<std::string> allowed_transitions(std::string_view from);

// ok when `from` may move to `to`, or when they are the same (no move). Otherwise
// cmdb.invalid_stage for an unknown stage, or cmdb.illegal_stage_transition whose message
// lists the allowed targets.
Result<void> check_stage_transition(std::string_view from, std::string_view to);

// A new CI may start in any stage but retired (cmdb.invalid_stage).
Result<void> check_initial_stage(std::string_view stage);

}  // namespace relman::controller::cmdb
