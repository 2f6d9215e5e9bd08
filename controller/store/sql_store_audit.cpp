// SqlStore: the append-only audit log.
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {

Result<void> store_sql::append_audit(sql::Connection& c, const std::string& actor,
                                     const std::string& action, const std::string& object_type,
                                     const std::string& object_id, const std::string& detail_json) {
  RELMAN_TRY(st, c.prepare("INSERT INTO audit_log(at, actor, action, object_type, object_id, "
                           "detail_json) VALUES(?, ?, ?, ?, ?, ?)"));
  return st.bind(1, unix_seconds())
      .bind(2, actor)
      .bind(3, action)
      .bind(4, object_type)
      .bind(5, object_id)
      .bind(6, detail_json)
      .run();
}

AuditEntry store_sql::read_audit(const sql::Statement& r) {
  return AuditEntry{r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6)};
}

Result<std::vector<AuditEntry>> SqlStore::list_audit(const AuditQuery& query, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<AuditEntry>> {
    // Each condition is skipped when its parameter is empty; the action prefix is compared
    // with substr so that '%' and '_' in it are not LIKE wildcards.
    RELMAN_TRY(st, c.prepare(std::string(store_sql::kAuditColumns) +
                             "WHERE (CAST(?1 AS TEXT) = '' OR actor = ?1) AND (CAST(?2 AS TEXT) = "
                             "'' OR object_type = ?2) "
                             "AND (CAST(?3 AS TEXT) = '' OR object_id = ?3) "
                             "AND (CAST(?4 AS TEXT) = '' OR substr(action, 1, length(?4)) = ?4) "
                             "ORDER BY id DESC LIMIT ?5 OFFSET ?6"));
    st.bind(1, query.actor)
        .bind(2, query.object_type)
        .bind(3, query.object_id)
        .bind(4, query.action_prefix)
        .bind(5, store_sql::clamp_limit(page.limit))
        .bind(6, page.offset);
    return store_sql::collect<AuditEntry>(st, store_sql::read_audit);
  });
}

Result<std::vector<AuditEntry>> SqlStore::list_audit_after(std::int64_t after_id,
                                                           std::int64_t limit) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<AuditEntry>> {
    RELMAN_TRY(
        st, c.prepare(std::string(store_sql::kAuditColumns) + "WHERE id > ? ORDER BY id LIMIT ?"));
    st.bind(1, after_id).bind(2, store_sql::clamp_limit(limit));
    return store_sql::collect<AuditEntry>(st, store_sql::read_audit);
  });
}

}  // namespace relman::controller
