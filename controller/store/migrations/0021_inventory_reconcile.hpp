// Migration 21 (inventory): reconciliation of reports into the CMDB. inventory_software names
// the software CI of each manager + name + architecture + version (one CI, shared by every host
// that runs it, related `installed_on` each host), indexed so "which hosts run version X of
// package Y" is one index lookup plus the relationships' (from_id, type, to_id) index.
// inventory_changes is the per-host history of what each report changed: which CI, what, and
// the hash of the report. No foreign keys into cmdb_cis: the CMDB's migration (40) runs after
// this one on a new database.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0021InventoryReconcile{
    .version = 21,
    .name = "inventory_reconcile",
    .sql = R"sql(
CREATE TABLE inventory_software (
  ci_id BIGINT PRIMARY KEY,
  manager TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  architecture TEXT NOT NULL,
  UNIQUE (name, version, architecture, manager)
);
CREATE TABLE inventory_changes (
  id {{id_pk}},
  host_ci_id BIGINT NOT NULL,
  ci_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  report_hash TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX inventory_changes_host ON inventory_changes(host_ci_id, id);
CREATE INDEX inventory_changes_ci ON inventory_changes(ci_id, id);
)sql",
};

}  // namespace relman::controller::migrations
