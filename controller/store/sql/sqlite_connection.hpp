// The SQLite driver of the SQL layer: one file, WAL mode, foreign keys on, a busy timeout.
#pragma once

#include <filesystem>
#include <memory>

#include "controller/store/sql/connection.hpp"

namespace relman::controller::sql {

// Opens (creating) the file. Errors: store.open_failed.
Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file);

}  // namespace relman::controller::sql
