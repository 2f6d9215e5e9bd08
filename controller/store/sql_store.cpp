#include "controller/store/sql_store.hpp"

#include "controller/store/migrations/migrations.hpp"
#include "controller/store/sql/migrate.hpp"
#include "controller/store/sql/pg_connection.hpp"
#include "controller/store/sql/sqlite_connection.hpp"
#include "controller/store/sql_store_cmdb.hpp"

namespace relman::controller {

SqlStore::SqlStore(std::unique_ptr<sql::Pool> pool)
    : pool_(std::move(pool)), software_ids_(std::make_unique<store_sql::SoftwareIdCache>()) {}

SqlStore::~SqlStore() = default;

Result<std::unique_ptr<SqlStore>> SqlStore::open(std::unique_ptr<sql::Pool> pool) {
  {
    RELMAN_TRY(lease, pool->acquire());
    RELMAN_CHECK(sql::migrate(*lease, migrations::kAll));
  }
  return std::unique_ptr<SqlStore>(new SqlStore(std::move(pool)));
}

Result<std::unique_ptr<SqlStore>> SqlStore::open_sqlite(const std::filesystem::path& file) {
  RELMAN_TRY(pool, sql::Pool::open([file] { return sql::open_sqlite(file); }, 1,
                                   std::chrono::seconds(30)));
  return open(std::move(pool));
}

Result<std::unique_ptr<SqlStore>> SqlStore::open_postgresql(const sql::PgTarget& target,
                                                            std::size_t pool_size) {
  RELMAN_TRY(pool, sql::Pool::open([target] { return sql::open_postgresql(target); }, pool_size,
                                   std::chrono::seconds(30)));
  return open(std::move(pool));
}

}  // namespace relman::controller
