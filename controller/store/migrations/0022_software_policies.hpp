// Migration 22 (inventory): software policies. A policy says that the hosts whose CI is part_of
// the CI named `group_name` must have `manager`'s `package`, at `min_version` or newer when it
// is set (NULL: any version). One policy per group, manager and package. The group is a name,
// not a CI id, as the planner's groups are: no foreign key into cmdb_cis (whose migration, 40,
// runs after this one on a new database).
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0022SoftwarePolicies{
    .version = 22,
    .name = "software_policies",
    .sql = R"sql(
CREATE TABLE software_policies (
  id {{id_pk}},
  group_name TEXT {{sorted}} NOT NULL,
  manager TEXT NOT NULL,
  package TEXT NOT NULL,
  min_version TEXT,
  note TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (group_name, manager, package)
);
)sql",
};

}  // namespace relman::controller::migrations
