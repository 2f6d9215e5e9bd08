// Migration 30 (rollout engine): a rollout is a stored plan being executed. Its waves and hosts
// are written when it starts; every decision of the engine (a wave starts, a host is dispatched,
// a wave fails) is a row change here, in the same transaction as the deployment target it
// creates (and the rollback it orders), so a restarted controller continues from exactly what
// was decided.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0030Rollouts{
    .version = 30,
    .name = "rollouts",
    .sql = R"sql(
CREATE TABLE rollouts (
  id {{id_pk}},
  release_id BIGINT NOT NULL REFERENCES releases(id),
  package_id BIGINT NOT NULL REFERENCES packages(id),
  deployment_id BIGINT NOT NULL REFERENCES deployments(id),
  state TEXT NOT NULL,
  failure_policy TEXT NOT NULL,
  rollback TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  deadline BIGINT NOT NULL,
  request_json TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
CREATE INDEX rollouts_state ON rollouts(state);
CREATE INDEX rollouts_release ON rollouts(release_id);
CREATE TABLE rollout_waves (
  rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
  wave_index BIGINT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  max_concurrent BIGINT NOT NULL,
  min_succeeded BIGINT NOT NULL,
  max_failed BIGINT NOT NULL,
  earliest_start BIGINT NOT NULL,
  started_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (rollout_id, wave_index)
);
CREATE TABLE rollout_hosts (
  id {{id_pk}},
  rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
  wave_index BIGINT NOT NULL,
  position BIGINT NOT NULL,
  host_id TEXT NOT NULL,
  tier BIGINT NOT NULL,
  after_json TEXT NOT NULL,
  earliest_start BIGINT NOT NULL,
  allowed_until BIGINT NOT NULL,
  state TEXT NOT NULL,
  target_id BIGINT REFERENCES deployment_targets(id),
  rollback_target_id BIGINT REFERENCES deployment_targets(id),
  attempts BIGINT NOT NULL DEFAULT 0,
  error_code TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  dispatched_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (rollout_id, host_id)
);
)sql",
};

}  // namespace relman::controller::migrations
