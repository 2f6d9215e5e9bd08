// SqlStore: hosts (agents), their connection state and last inventory report.
#include "controller/store/sql_store.hpp"

#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {
namespace {
constexpr const char* kHostColumns =
    "agent_id, hostname, os, connected, first_seen, last_seen, inventory_json, inventory_hash, "
    "inventory_at";
HostRecord read_host(const sql::Statement& st) {
  return HostRecord{st.text(0),  st.text(1), st.text(2), st.int64(3) != 0, st.int64(4),
                    st.int64(5), st.text(6), st.text(7), st.int64(8)};
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

Result<void> SqlStore::record_inventory(const std::string& agent_id, const InventoryUpdate& update,
                                        std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st,
               c.prepare("UPDATE hosts SET hostname = ?1, os = ?2, inventory_json = ?3, "
                         "inventory_hash = ?4, inventory_at = ?5, last_seen = ?5 "
                         "WHERE agent_id = ?6 AND (CAST(?7 AS TEXT) = '' OR inventory_hash = ?7)"));
    RELMAN_CHECK(st.bind(1, update.hostname)
                     .bind(2, update.os)
                     .bind(3, update.document_json)
                     .bind(4, update.hash)
                     .bind(5, now)
                     .bind(6, agent_id)
                     .bind(7, update.base_hash)
                     .run());
    if (st.changes() == 1) {
      RELMAN_CHECK(store_sql::upsert_host_ci(c, agent_id, update.hostname, update.os));
      if (!update.plan) return ok();
      return store_sql::reconcile_inventory(c, agent_id, *update.plan, update.hash, now);
    }
    RELMAN_TRY(exists, c.prepare("SELECT 1 FROM hosts WHERE agent_id = ?"));
    exists.bind(1, agent_id);
    RELMAN_TRY(row, exists.step());
    if (!row) return fail("host.not_found", "no host with this agent id", agent_id);
    return fail("inventory.base_mismatch",
                "the stored inventory is no longer the report this delta builds on", agent_id);
  });
}

Result<std::vector<HostRecord>> SqlStore::list_hosts(const Page& page, const HostQuery& query) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<HostRecord>> {
    // ?1: -1 all hosts, 1 only stale ones, 0 only fresh ones.
    RELMAN_TRY(st,
               c.prepare(std::string("SELECT ") + kHostColumns +
                         " FROM hosts WHERE ?1 < 0 OR ?1 = (CASE WHEN connected = 0 AND "
                         "last_seen < ?2 THEN 1 ELSE 0 END) ORDER BY agent_id LIMIT ?3 OFFSET ?4"));
    st.bind(1, query.stale ? static_cast<std::int64_t>(*query.stale) : std::int64_t{-1})
        .bind(2, query.stale_before)
        .bind(3, store_sql::clamp_limit(page.limit))
        .bind(4, page.offset);
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
