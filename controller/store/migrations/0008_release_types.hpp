// Migration 8 (releases): release types (executor group, notified groups and notification
// templates per event) and the groups subscribed to a release's notifications.
// Releases keep their `type` text as it was (inside fields_json): a release whose type names
// no release type still reads, and its notifications use the default templates; an admin who
// creates a type of that name gives them its templates. Only new or changed types are checked.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0008ReleaseTypes{
    .version = 8,
    .name = "release_types",
    .sql = R"sql(
CREATE TABLE release_types (
  id {{id_pk}},
  name TEXT {{sorted}} NOT NULL UNIQUE,
  description TEXT NOT NULL,
  executor_group TEXT NOT NULL,
  notify_groups_json TEXT NOT NULL,
  templates_json TEXT NOT NULL,
  version BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE release_subscriptions (
  release_id BIGINT NOT NULL REFERENCES releases(id),
  group_name TEXT {{sorted}} NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (release_id, group_name)
);
)sql",
};

}  // namespace relman::controller::migrations
