// Migration 1: users, sessions, the DML's packages, releases, hosts, deployments and their
// targets, and the append-only audit log. On SQLite this is the schema every earlier relman
// created as version 1 (BIGINT has the same INTEGER affinity there), so those databases open
// unchanged.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0001Initial{
    .version = 1,
    .name = "initial",
    .sql = R"sql(
CREATE TABLE users (
  id {{id_pk}},
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  expires_at BIGINT NOT NULL
);
CREATE TABLE packages (
  id {{id_pk}},
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  platform TEXT NOT NULL,
  payload_kind TEXT NOT NULL,
  description TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  manifest_sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  file_count BIGINT NOT NULL,
  signer_key_ids TEXT NOT NULL,
  status TEXT NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  UNIQUE(name, version)
);
CREATE TABLE releases (
  id {{id_pk}},
  number TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  state TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE hosts (
  agent_id TEXT {{sorted}} PRIMARY KEY,
  hostname TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  connected BIGINT NOT NULL DEFAULT 0,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  inventory_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE deployments (
  id {{id_pk}},
  release_id BIGINT NOT NULL REFERENCES releases(id),
  package_id BIGINT NOT NULL REFERENCES packages(id),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  allow_downgrade BIGINT NOT NULL
);
CREATE TABLE deployment_targets (
  id {{id_pk}},
  deployment_id BIGINT NOT NULL REFERENCES deployments(id),
  host_id TEXT NOT NULL,
  status TEXT NOT NULL,
  phase TEXT NOT NULL DEFAULT '',
  bytes_done BIGINT NOT NULL DEFAULT 0,
  bytes_total BIGINT NOT NULL DEFAULT 0,
  error_code TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  order_id TEXT UNIQUE,
  order_message TEXT NOT NULL DEFAULT '',
  installed_version TEXT NOT NULL DEFAULT '',
  sent_at BIGINT NOT NULL DEFAULT 0,
  finished_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  UNIQUE(deployment_id, host_id)
);
CREATE INDEX deployment_targets_open ON deployment_targets(host_id, status);
CREATE TABLE audit_log (
  id {{id_pk}},
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
)sql",
    // The audit log is append-only, whatever the code above it does.
    .sqlite = R"sql(
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql",
    .postgresql = R"sql(
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
)sql",
};

}  // namespace relman::controller::migrations
