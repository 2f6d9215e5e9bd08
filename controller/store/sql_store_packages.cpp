// SqlStore: the DML's package records (immutable once stored).
#include "controller/store/sql_store.hpp"

#include <nlohmann/json.hpp>

#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
constexpr const char* kPackageColumns =
    "id, name, version, platform, payload_kind, description, sha256, manifest_sha256, size, "
    "file_count, signer_key_ids, status, uploaded_by, uploaded_at";

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

}  // namespace relman::controller
