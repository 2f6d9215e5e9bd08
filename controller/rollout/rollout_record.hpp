// A rollout as stored: the plan being executed (its waves and hosts) and what the engine has
// decided so far. Plain data; the engine (rollout/engine.hpp) changes it, the store
// (sql_store_rollouts.cpp) writes what changed, the API shows it (to_json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::controller::rollout {

struct RolloutHost {
  std::int64_t row_id = 0;
  std::string host_id;
  std::int64_t wave = 0;      // index of its wave
  std::int64_t position = 0;  // order within the wave (the plan's (tier, id) order)
  std::int64_t tier = 0;
  std::vector<std::string> after;  // target hosts that must have succeeded first
  std::int64_t earliest_start = 0;
  std::int64_t allowed_until = 0;  // as planned (informative; the engine asks the windows)
  // waiting: not sent | dispatched: its deployment target exists (the gateway sends the order
  // when the host is connected) | succeeded | failed | skipped: the rollout stopped before it
  std::string state = "waiting";
  std::int64_t target_id = 0;             // the deployment target of the latest dispatch
  std::int64_t target_deployment_id = 0;  // that target's deployment (read)
  std::string target_status;  // that target's status (read, never written by the engine)
  std::string target_error_code;
  std::string target_message;
  std::int64_t attempts = 0;
  std::string error_code;
  std::string message;
  std::int64_t dispatched_at = 0;
  std::int64_t finished_at = 0;
  // Set by the engine: the store creates a new pending target in the current deployment.
  bool dispatch = false;
  // Set by the engine: the store fails the still-pending target (never sent) with error_code.
  bool cancel_target = false;
  // The rollback target the rollout ordered for this host (stop_and_rollback), 0 if none, and
  // its status and error (read, never written by the engine).
  std::int64_t rollback_target_id = 0;
  std::string rollback_status;
  std::string rollback_error_code;
  std::string rollback_message;
  // Set by the engine: the store orders a rollback of the host's target's deployment on it.
  bool order_rollback = false;
};

struct RolloutWave {
  std::int64_t index = 0;
  std::string kind;               // canary | batch
  std::string state = "waiting";  // waiting | running | succeeded | failed | skipped
  std::int64_t max_concurrent = 1;
  std::int64_t min_succeeded = 0;
  std::int64_t max_failed = 0;
  std::int64_t earliest_start = 0;
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;
};

struct RolloutRecord {
  std::int64_t id = 0;
  std::int64_t release_id = 0;
  std::int64_t package_id = 0;
  std::string package_status;      // the package's DML status (read): revoked stops the rollout
  std::int64_t deployment_id = 0;  // where new targets go (a new one per retry-failed)
  // running | paused | succeeded | failed | aborted
  std::string state = "running";
  std::string failure_policy = "stop";  // stop | stop_and_rollback
  // "" | ordered: a wave failed under stop_and_rollback and every host the rollout changed
  // (and each that finishes its install after that) is ordered back to its previous version.
  std::string rollback;
  std::string reason;  // why it failed or was aborted
  std::int64_t deadline = 0;
  std::string request_json;  // the plan request (plan_request.hpp form)
  std::string created_by;
  std::int64_t created_at = 0;
  std::int64_t finished_at = 0;
  std::int64_t updated_at = 0;
  std::vector<RolloutWave> waves;
  std::vector<RolloutHost> hosts;  // by (wave, position)
  // Set by the engine (retry-failed): the store opens a new deployment for the next dispatches.
  bool new_deployment = false;
};

// An audited change the engine made: `action` like "rollout.wave_started"; object is the
// rollout.
struct RolloutEvent {
  std::string action;
  nlohmann::json detail = nlohmann::json::object();
};

bool is_finished_state(const std::string& rollout_state);  // succeeded, failed, aborted

// {"id", "release_id", "package_id", "deployment_id", "state", "failure_policy", "rollback",
//  "reason", "deadline", "created_by", "created_at", "finished_at", "updated_at",
//  "counts": {state: n}, "waves": [{"index", "kind", "state", ..., "counts",
//  "hosts": [{"id", "state", "tier", "after", "earliest_start", "target_id", "target_status",
//  "attempts", "error": {"code", "message"} | null, "dispatched_at", "finished_at",
//  "rollback": {"target_id", "status", "error"} | null}]}],
//  "request": {...}}
nlohmann::json to_json(const RolloutRecord& r);

}  // namespace relman::controller::rollout
