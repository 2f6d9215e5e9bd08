// Migration 3 (releases: records): `version` is the optimistic lock; requester, executor group
// and priority are columns because searches filter on them; fields_json and lifecycle_json hold
// the whole descriptive and lifecycle fields (releases/release_request.hpp,
// releases/release_codec.hpp). Rows from before this migration keep '' there: the store reads
// them from title, description, state and created_by (sql_store_releases.cpp), so no SQL JSON
// function (which the dialects spell differently) is needed.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0003ReleaseRecords{
    .version = 3,
    .name = "release_records",
    .sql = R"sql(
ALTER TABLE releases ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE releases ADD COLUMN requester TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN executor_group TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN priority BIGINT NOT NULL DEFAULT 4;
ALTER TABLE releases ADD COLUMN fields_json TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN lifecycle_json TEXT NOT NULL DEFAULT '';
UPDATE releases SET requester = created_by;
CREATE INDEX releases_state ON releases(state);
CREATE INDEX releases_priority ON releases(priority);
CREATE INDEX releases_executor_group ON releases(executor_group);
CREATE INDEX releases_requester ON releases(requester);
CREATE INDEX releases_created_at ON releases(created_at);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
)sql",
};

}  // namespace relman::controller::migrations
