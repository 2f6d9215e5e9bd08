// SqlStore: release records.
#include "controller/store/sql_store.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
constexpr const char* kReleaseColumns =
    "id, number, title, description, state, created_by, created_at, updated_at";
ReleaseRecord read_release(const sql::Statement& st) {
  return ReleaseRecord{st.int64(0), st.text(1), st.text(2),  st.text(3),
                       st.text(4),  st.text(5), st.int64(6), st.int64(7)};
}
Result<std::optional<ReleaseRecord>> release_by_id(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st,
             c.prepare(std::string("SELECT ") + kReleaseColumns + " FROM releases WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<ReleaseRecord>();
  return std::optional<ReleaseRecord>(read_release(st));
}
}  // namespace

Result<ReleaseRecord> SqlStore::create_release(const std::string& title,
                                               const std::string& description,
                                               const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ReleaseRecord> {
    // Numbers count releases: two controllers racing for the same number conflict on the
    // UNIQUE column and one of them is retried (PostgreSQL) or waits (SQLite).
    RELMAN_TRY(next, c.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM releases"));
    RELMAN_CHECK(next.step());
    char number[32];
    std::snprintf(number, sizeof number, "REL-%06lld", static_cast<long long>(next.int64(0)));
    const auto now = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO releases(number, title, description, state, "
                             "created_by, created_at, updated_at) "
                             "VALUES(?, ?, ?, 'registered', ?, ?, ?) RETURNING id"));
    st.bind(1, number).bind(2, title).bind(3, description).bind(4, actor).bind(5, now).bind(6, now);
    RELMAN_CHECK(st.step());
    std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_CHECK(
        store_sql::append_audit(c, actor, "release.create", "release", std::to_string(id),
                                nlohmann::json{{"number", number}, {"title", title}}.dump()));
    RELMAN_TRY(rec, release_by_id(c, id));
    if (!rec) return fail("store.query_failed", "the new release row is missing");
    return *rec;
  });
}

Result<std::optional<ReleaseRecord>> SqlStore::get_release(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return release_by_id(c, id); });
}

Result<std::vector<ReleaseRecord>> SqlStore::list_releases(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ReleaseRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kReleaseColumns +
                             " FROM releases ORDER BY id DESC LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    return store_sql::collect<ReleaseRecord>(st, read_release);
  });
}

}  // namespace relman::controller
