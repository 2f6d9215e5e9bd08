// Migration 6 (releases / DML): a package version's lifecycle status (uploaded -> tested ->
// authorized, or revoked) says who moved it last, when and why; each step is also an audit
// entry. Versions stored before this migration stay `uploaded` and must be tested and
// authorized before they are deployed again.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0006PackageLifecycle{
    .version = 6,
    .name = "package_lifecycle",
    .sql = R"sql(
ALTER TABLE packages ADD COLUMN status_changed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE packages ADD COLUMN status_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE packages ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
)sql",
};

}  // namespace relman::controller::migrations
