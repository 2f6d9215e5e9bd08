// What the SqlStore's domain files share: row readers used by more than one domain, paging,
// and the audit entry every change appends. Only controller/store/sql_store_*.cpp include it.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/releases/release_type.hpp"
#include "controller/store/records.hpp"
#include "controller/store/sql/connection.hpp"

namespace relman::controller::store_sql {

// A page's row count, within 1..500.
inline std::int64_t clamp_limit(std::int64_t limit) {
  return std::clamp<std::int64_t>(limit, 1, 500);
}

// Steps `st` to the end, reading each row with `read(st)`.
template <class T, class Read>
Result<std::vector<T>> collect(sql::Statement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return out;
    out.push_back(read(st));
  }
}

// Appends an audit entry (in the caller's transaction), stamped with the controller's clock.
Result<void> append_audit(sql::Connection& c, const std::string& actor, const std::string& action,
                          const std::string& object_type, const std::string& object_id,
                          const std::string& detail_json);

// Audit rows: `kAuditColumns` + WHERE/ORDER, each row read by read_audit (sql_store_audit.cpp).
inline constexpr const char* kAuditColumns =
    "SELECT id, at, actor, action, object_type, object_id, detail_json FROM audit_log ";
AuditEntry read_audit(const sql::Statement& r);

// A user's effective roles (its own and its groups', sorted) and groups (sql_store_access.cpp).
Result<void> load_access(sql::Connection& c, User& user);
// Adds roles of the user's own (in the caller's transaction; roles it has stay).
Result<void> grant_roles(sql::Connection& c, std::int64_t user_id,
                         const std::vector<std::string>& roles);

// Release types and notifications (sql_store_release_types.cpp). A type by name, in the
// caller's transaction.
Result<std::optional<ReleaseType>> load_release_type(sql::Connection& c, const std::string& name);
// The "notification" of a release event (releases/notification.hpp): the release's type's
// templates (if the type exists), its subscribed groups and the type's notify groups.
Result<nlohmann::json> release_notification(sql::Connection& c, const ReleaseRecord* before,
                                            const ReleaseRecord& after, const std::string& action,
                                            const std::string& actor);

// Packages by id (sql_store_packages.cpp); deployments need them too.
Result<std::optional<PackageRecord>> load_package(sql::Connection& c, std::int64_t id);
// Only authorized package versions are deployed: package.not_found, package.revoked,
// package.not_authorized (sql_store_deployments.cpp).
Result<void> check_deployable(sql::Connection& c, std::int64_t package_id);
// A rollback deployment of deployment `of` with a pending target per host, audited as
// deployment.rollback; returns its id. deployment.not_found.
Result<std::int64_t> insert_rollback_deployment(sql::Connection& c, std::int64_t of,
                                                const std::vector<std::string>& hosts,
                                                std::int64_t expires_at, const std::string& actor,
                                                std::int64_t now);

}  // namespace relman::controller::store_sql
