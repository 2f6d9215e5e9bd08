// The rollout engine's decisions, as pure functions over a stored rollout: the caller (the
// store, inside one write transaction) loads the rollout, calls one of these with the time, and
// writes back what changed together with the audit events returned. Nothing here sends
// anything: a dispatched host gets a pending deployment target, which the agent gateway turns
// into a signed, stored order when the host is connected. The rules are in
// docs/architecture.md ("Rollout engine").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "controller/rollout/rollout_record.hpp"
#include "controller/rollout/windows.hpp"
#include "protocol/error.hpp"

namespace relman::controller::rollout {

// The groups a host belongs to (for the windows).
using GroupsOf = std::function<std::vector<std::string>(const std::string& host)>;

// One step: takes finished targets' results into their hosts; fails dispatched hosts whose order
// could not be delivered before the deadline or before their window closed; then, when the
// rollout is running, advances its first unfinished wave: starts it, fails it when more hosts
// failed than it allows (which stops the rollout), finishes it when no host is left, or
// dispatches waiting hosts (dependencies succeeded, window open, earliest start reached) up to
// its max_concurrent. A rollout whose every wave succeeded succeeds. A wave that fails under
// failure_policy stop_and_rollback orders a rollback (RolloutHost::order_rollback) of every host
// whose install succeeded, and of each that succeeds later (its order had reached it).
std::vector<RolloutEvent> step(RolloutRecord& r, const Schedule& schedule, const GroupsOf& groups,
                               std::int64_t now);

// rollout.illegal_transition (context: the actions allowed now, comma separated) when the
// rollout's state does not allow the action.
Result<std::vector<RolloutEvent>> pause(RolloutRecord& r, std::int64_t now);
Result<std::vector<RolloutEvent>> resume(RolloutRecord& r, std::int64_t now);
// Skips every host not dispatched yet and cancels the orders not sent yet; orders that reached
// their host finish there and are still recorded.
Result<std::vector<RolloutEvent>> abort(RolloutRecord& r, std::int64_t now);
// A failed rollout runs again from its first wave with a host to retry: its failed, skipped and
// rolled-back hosts wait again and are dispatched with new orders (in a new deployment).
Result<std::vector<RolloutEvent>> retry_failed(RolloutRecord& r, std::int64_t now);

// "pause", "resume", "abort", "retry-failed": the actions the state allows.
std::vector<std::string> allowed_actions(const std::string& state);

}  // namespace relman::controller::rollout
