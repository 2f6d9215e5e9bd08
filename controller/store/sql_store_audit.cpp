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

Result<std::vector<AuditEntry>> SqlStore::list_audit(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<AuditEntry>> {
    RELMAN_TRY(st, c.prepare("SELECT id, at, actor, action, object_type, object_id, detail_json "
                             "FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    return store_sql::collect<AuditEntry>(st, [](const sql::Statement& r) {
      return AuditEntry{r.int64(0), r.int64(1), r.text(2), r.text(3),
                        r.text(4),  r.text(5),  r.text(6)};
    });
  });
}

}  // namespace relman::controller
