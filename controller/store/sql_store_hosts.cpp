// SqlStore: hosts (agents), their connection state and last inventory report.
#include "controller/store/sql_store.hpp"

#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {
namespace {
constexpr const char* kHostColumns =
    "agent_id, hostname, os, connected, first_seen, last_seen, inventory_json";
HostRecord read_host(const sql::Statement& st) {
  return HostRecord{st.text(0),  st.text(1),  st.text(2), st.int64(3) != 0,
                    st.int64(4), st.int64(5), st.text(6)};
}
}  // namespace

Result<void> SqlStore::host_connected(const std::string& agent_id, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("INSERT INTO hosts(agent_id, connected, first_seen, last_seen) "
                             "VALUES(?1, 1, ?2, ?2) ON CONFLICT(agent_id) DO UPDATE SET "
                             "connected = 1, last_seen = ?2"));
    RELMAN_CHECK(st.bind(1, agent_id).bind(2, now).run());
    return store_sql::upsert_host_ci(c, agent_id, "", "");  // the agent's host CI
  });
}

Result<void> SqlStore::host_disconnected(const std::string& agent_id, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE hosts SET connected = 0, last_seen = ? WHERE agent_id = ?"));
    return st.bind(1, now).bind(2, agent_id).run();
  });
}

Result<void> SqlStore::mark_all_hosts_disconnected() {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE hosts SET connected = 0"));
    return st.run();
  });
}

Result<void> SqlStore::record_inventory(const std::string& agent_id, const std::string& hostname,
                                        const std::string& os, const std::string& inventory_json,
                                        std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE hosts SET hostname = ?, os = ?, inventory_json = ?, "
                             "last_seen = ? WHERE agent_id = ?"));
    RELMAN_CHECK(st.bind(1, hostname)
                     .bind(2, os)
                     .bind(3, inventory_json)
                     .bind(4, now)
                     .bind(5, agent_id)
                     .run());
    return store_sql::upsert_host_ci(c, agent_id, hostname, os);
  });
}

Result<std::vector<HostRecord>> SqlStore::list_hosts(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<HostRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kHostColumns +
                             " FROM hosts ORDER BY agent_id LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    return store_sql::collect<HostRecord>(st, read_host);
  });
}

Result<std::optional<HostRecord>> SqlStore::get_host(const std::string& agent_id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<HostRecord>> {
    RELMAN_TRY(st,
               c.prepare(std::string("SELECT ") + kHostColumns + " FROM hosts WHERE agent_id = ?"));
    st.bind(1, agent_id);
    RELMAN_TRY(row, st.step());
    if (!row) return std::optional<HostRecord>();
    return std::optional<HostRecord>(read_host(st));
  });
}

}  // namespace relman::controller
