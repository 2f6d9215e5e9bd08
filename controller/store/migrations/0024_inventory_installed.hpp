// Migration 24 (inventory): the inventory's software CIs installed_on each host CI, one narrow
// row per pair, clustered by host. A full report writes its host's 1,500-odd rows next to each
// other instead of into cmdb_relationships, whose unique index is ordered by software CI and so
// scattered every report over the whole index (docs/benchmarks.md). The CMDB's relationship
// reads show these rows as installed_on relationships (controller/store/sql_store_cmdb_graph.cpp).
// "Which hosts run this software CI": on SQLite, one primary-key probe per host CI (the host CIs
// are few next to the rows); PostgreSQL keeps an index by software CI instead. No foreign keys:
// the CMDB's migration (40) runs after this one on a new database, and migration 41 moves the
// rows that reports wrote into cmdb_relationships before.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0024InventoryInstalled{
    .version = 24,
    .name = "inventory_installed",
    .sqlite = R"sql(
CREATE TABLE inventory_installed (
  host_ci_id INTEGER NOT NULL,
  software_ci_id INTEGER NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (host_ci_id, software_ci_id)
) WITHOUT ROWID;
)sql",
    .postgresql = R"sql(
CREATE TABLE inventory_installed (
  host_ci_id BIGINT NOT NULL,
  software_ci_id BIGINT NOT NULL,
  since BIGINT NOT NULL,
  PRIMARY KEY (host_ci_id, software_ci_id)
);
CREATE INDEX inventory_installed_software ON inventory_installed(software_ci_id, host_ci_id);
)sql",
};

}  // namespace relman::controller::migrations
