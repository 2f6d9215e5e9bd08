// Migration 40: the CMDB. CIs with their current state and a version counter (optimistic
// locking), every version of every CI whole (restore points), user-defined classes with their
// attribute schema, and typed relationships, unique per (from, type, to). Host CIs that
// agents report carry a source_key ("agent:<id>") so reports find them again.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0040Cmdb{
    .version = 40,
    .name = "cmdb",
    .sql = R"sql(
CREATE TABLE cmdb_classes (
  name TEXT {{sorted}} PRIMARY KEY,
  schema_json TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE cmdb_cis (
  id {{id_pk}},
  class TEXT NOT NULL,
  name TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  stage TEXT NOT NULL,
  owner_group TEXT NOT NULL,
  criticality TEXT NOT NULL,
  version BIGINT NOT NULL,
  source_key TEXT UNIQUE,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX cmdb_cis_class_stage ON cmdb_cis(class, stage);
CREATE INDEX cmdb_cis_owner_group ON cmdb_cis(owner_group);
CREATE TABLE cmdb_ci_versions (
  ci_id BIGINT NOT NULL REFERENCES cmdb_cis(id),
  version BIGINT NOT NULL,
  name TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  stage TEXT NOT NULL,
  owner_group TEXT NOT NULL,
  criticality TEXT NOT NULL,
  change_kind TEXT NOT NULL,
  restored_from BIGINT NOT NULL DEFAULT 0,
  changed_by TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  PRIMARY KEY (ci_id, version)
);
CREATE TABLE cmdb_relationships (
  id {{id_pk}},
  from_id BIGINT NOT NULL REFERENCES cmdb_cis(id),
  type TEXT NOT NULL,
  to_id BIGINT NOT NULL REFERENCES cmdb_cis(id),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (from_id, type, to_id)
);
CREATE INDEX cmdb_relationships_to ON cmdb_relationships(to_id);
)sql",
    // A version is a restore point: it never changes once written.
    .sqlite = R"sql(
CREATE TRIGGER cmdb_ci_versions_no_update BEFORE UPDATE ON cmdb_ci_versions
  BEGIN SELECT RAISE(ABORT, 'cmdb_ci_versions is append-only'); END;
CREATE TRIGGER cmdb_ci_versions_no_delete BEFORE DELETE ON cmdb_ci_versions
  BEGIN SELECT RAISE(ABORT, 'cmdb_ci_versions is append-only'); END;
)sql",
    .postgresql = R"sql(
CREATE FUNCTION cmdb_ci_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'cmdb_ci_versions is append-only';
END
$$;
CREATE TRIGGER cmdb_ci_versions_no_update_or_delete BEFORE UPDATE OR DELETE ON cmdb_ci_versions
  FOR EACH ROW EXECUTE FUNCTION cmdb_ci_versions_append_only();
)sql",
};

}  // namespace relman::controller::migrations
