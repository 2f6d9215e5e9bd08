// Migration 10 (installer / deployments block): rollback deployments (a deployment's action
// and the deployment it undoes), the tail of the hooks' output an agent sends with its result,
// when each target started, and when it entered each phase.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0010InstallerProgress{
    .version = 10,
    .name = "installer_progress",
    .sql = R"sql(
ALTER TABLE deployments ADD COLUMN action TEXT NOT NULL DEFAULT 'install';
ALTER TABLE deployments ADD COLUMN rollback_of BIGINT REFERENCES deployments(id);
ALTER TABLE deployment_targets ADD COLUMN output TEXT NOT NULL DEFAULT '';
ALTER TABLE deployment_targets ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;
CREATE TABLE deployment_target_phases (
  target_id BIGINT NOT NULL REFERENCES deployment_targets(id),
  seq BIGINT NOT NULL,
  phase TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  PRIMARY KEY (target_id, seq)
);
)sql",
};

}  // namespace relman::controller::migrations
