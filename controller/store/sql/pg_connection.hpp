// The PostgreSQL driver of the SQL layer (libpq): `?` placeholders become `$N`, values travel
// as text (integers typed as BIGINT), SQLSTATEs become the store's error codes, and write
// transactions are SERIALIZABLE.
#pragma once

#include <memory>
#include <string>

#include "controller/store/sql/connection.hpp"

namespace relman::controller::sql {

struct PgTarget {
  std::string url;       // postgresql://user@host:port/dbname[?params]
  std::string password;  // from the password file; empty: libpq's own sources (PGPASSFILE)
};

// Connects (10 s timeout). Errors: store.open_failed, with libpq's reason on one line and the
// URL (never the password) as context; store.unsupported when built without PostgreSQL.
Result<std::unique_ptr<Connection>> open_postgresql(const PgTarget& target);

}  // namespace relman::controller::sql
