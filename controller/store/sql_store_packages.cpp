// SqlStore: the DML's package records (immutable once stored).
#include "controller/store/sql_store.hpp"

#include <nlohmann/json.hpp>

#include "controller/dml/package_lifecycle.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
constexpr const char* kPackageColumns =
    "id, name, version, platform, payload_kind, description, sha256, manifest_sha256, size, "
    "file_count, signer_key_ids, status, uploaded_by, uploaded_at, status_changed_by, "
    "status_changed_at, status_reason";

PackageRecord read_package(const sql::Statement& st) {
  PackageRecord p;
  p.id = st.int64(0);
  p.name = st.text(1);
  p.version = st.text(2);
  p.platform = st.text(3);
  p.payload_kind = st.text(4);
  p.description = st.text(5);
  p.sha256 = st.text(6);
  p.manifest_sha256 = st.text(7);
  p.size = st.int64(8);
  p.file_count = st.int64(9);
  auto ids = nlohmann::json::parse(st.text(10), nullptr, false);
  if (ids.is_array()) {
    for (const auto& id : ids) {
      if (id.is_string()) p.signer_key_ids.push_back(id.get<std::string>());
    }
  }
  p.status = st.text(11);
  p.uploaded_by = st.text(12);
  p.uploaded_at = st.int64(13);
  p.status_changed_by = st.text(14);
  p.status_changed_at = st.int64(15);
  p.status_reason = st.text(16);
  return p;
}

Result<std::optional<PackageRecord>> one_package(sql::Statement& st) {
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<PackageRecord>();
  return std::optional<PackageRecord>(read_package(st));
}

Result<std::optional<PackageRecord>> package_by_sha256(sql::Connection& c, const std::string& sha) {
  RELMAN_TRY(
      st, c.prepare(std::string("SELECT ") + kPackageColumns + " FROM packages WHERE sha256 = ?"));
  st.bind(1, sha);
  return one_package(st);
}
}  // namespace

Result<std::optional<PackageRecord>> store_sql::load_package(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st,
             c.prepare(std::string("SELECT ") + kPackageColumns + " FROM packages WHERE id = ?"));
  st.bind(1, id);
  return one_package(st);
}

Result<PackageRecord> SqlStore::insert_package(const PackageRecord& p, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<PackageRecord> {
    RELMAN_TRY(same, package_by_sha256(c, p.sha256));
    if (same) return *same;  // the same bytes again: nothing to do
    RELMAN_TRY(st, c.prepare("SELECT sha256 FROM packages WHERE name = ? AND version = ?"));
    st.bind(1, p.name).bind(2, p.version);
    RELMAN_TRY(clash, st.step());
    if (clash) {
      return fail("dml.version_exists",
                  "the DML already holds " + p.name + " " + p.version +
                      " with different content; versions are immutable: publish a new version",
                  p.name + "@" + p.version);
    }
    nlohmann::json signers = p.signer_key_ids;
    RELMAN_TRY(ins, c.prepare("INSERT INTO packages(name, version, platform, payload_kind, "
                              "description, sha256, manifest_sha256, size, file_count, "
                              "signer_key_ids, status, uploaded_by, uploaded_at) "
                              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id"));
    ins.bind(1, p.name)
        .bind(2, p.version)
        .bind(3, p.platform)
        .bind(4, p.payload_kind)
        .bind(5, p.description)
        .bind(6, p.sha256)
        .bind(7, p.manifest_sha256)
        .bind(8, p.size)
        .bind(9, p.file_count)
        .bind(10, signers.dump())
        .bind(11, p.status)
        .bind(12, actor)
        .bind(13, unix_seconds());
    RELMAN_CHECK(ins.step());
    std::int64_t id = ins.int64(0);
    RELMAN_CHECK(ins.run());
    RELMAN_CHECK(store_sql::append_audit(
        c, actor, "package.upload", "package", std::to_string(id),
        nlohmann::json{{"name", p.name}, {"version", p.version}, {"sha256", p.sha256}}.dump()));
    RELMAN_TRY(stored, store_sql::load_package(c, id));
    if (!stored) return fail("store.query_failed", "the new package row is missing");
    return *stored;
  });
}

Result<std::optional<PackageRecord>> SqlStore::get_package(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return store_sql::load_package(c, id); });
}

Result<std::optional<PackageRecord>> SqlStore::find_package_by_sha256(const std::string& sha) {
  return sql::read(*pool_, [&](sql::Connection& c) { return package_by_sha256(c, sha); });
}

Result<std::optional<PackageRecord>> SqlStore::find_package(const std::string& name,
                                                            const std::string& version) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<PackageRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kPackageColumns +
                             " FROM packages WHERE name = ? AND version = ?"));
    st.bind(1, name).bind(2, version);
    return one_package(st);
  });
}

Result<std::vector<PackageRecord>> SqlStore::list_packages(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<PackageRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kPackageColumns +
                             " FROM packages ORDER BY id DESC LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    return store_sql::collect<PackageRecord>(st, read_package);
  });
}

Result<PackageTransitionResult> SqlStore::transition_package(std::int64_t id,
                                                             const std::string& action,
                                                             const std::string& reason,
                                                             const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<PackageTransitionResult> {
    RELMAN_TRY(current, store_sql::load_package(c, id));
    if (!current) return fail("package.not_found", "no package with this id", std::to_string(id));
    RELMAN_TRY(next, next_package_status(current->status, action));
    const auto now = unix_seconds();
    RELMAN_TRY(up, c.prepare("UPDATE packages SET status = ?, status_changed_by = ?, "
                             "status_changed_at = ?, status_reason = ? WHERE id = ? AND "
                             "status = ?"));
    RELMAN_CHECK(up.bind(1, next)
                     .bind(2, actor)
                     .bind(3, now)
                     .bind(4, reason)
                     .bind(5, id)
                     .bind(6, current->status)
                     .run());
    PackageTransitionResult out;
    if (next == "revoked") {
      // Install orders not sent yet are failed here; sent ones cannot download the revoked
      // file any more (host_awaits_package) and fail on the agent, which reports it.
      // Rollbacks away from this version are left to run.
      RELMAN_TRY(cancel, c.prepare("UPDATE deployment_targets SET status = 'failed', "
                                   "error_code = 'package.revoked', message = ?1, "
                                   "finished_at = ?2, updated_at = ?2 WHERE status = 'pending' "
                                   "AND deployment_id IN (SELECT id FROM deployments WHERE "
                                   "package_id = ?3 AND action = 'install')"));
      RELMAN_CHECK(cancel.bind(1, "the package version was revoked: " + reason)
                       .bind(2, now)
                       .bind(3, id)
                       .run());
      out.cancelled_targets = cancel.changes();
    }
    RELMAN_CHECK(
        store_sql::append_audit(c, actor, "package." + action, "package", std::to_string(id),
                                nlohmann::json{{"name", current->name},
                                               {"version", current->version},
                                               {"before", current->status},
                                               {"after", next},
                                               {"reason", reason},
                                               {"cancelled_targets", out.cancelled_targets}}
                                    .dump()));
    RELMAN_TRY(after, store_sql::load_package(c, id));
    if (!after) return fail("store.query_failed", "the package row is missing");
    out.package = std::move(*after);
    return out;
  });
}

}  // namespace relman::controller
