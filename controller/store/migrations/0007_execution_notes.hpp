// Migration 7 (releases): execution records. The executions themselves (number, who started
// and ended them, when, the outcome) are read from the release's audit entries, which the
// lifecycle writes anyway; this table keeps what the executors write down during one: what
// they did and how long it took. Notes are never changed or removed through the API.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0007ExecutionNotes{
    .version = 7,
    .name = "execution_notes",
    .sql = R"sql(
CREATE TABLE release_execution_notes (
  id {{id_pk}},
  release_id BIGINT NOT NULL REFERENCES releases(id),
  execution BIGINT NOT NULL CHECK (execution > 0),
  author TEXT NOT NULL,
  at BIGINT NOT NULL,
  minutes_spent BIGINT NOT NULL CHECK (minutes_spent >= 0),
  description TEXT NOT NULL
);
CREATE INDEX release_execution_notes_release ON release_execution_notes(release_id, id);
)sql",
};

}  // namespace relman::controller::migrations
