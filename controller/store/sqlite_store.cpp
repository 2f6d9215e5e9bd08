#include "controller/store/sqlite_store.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "controller/store/sqlite_migrations.hpp"

namespace relman::controller {

using sqlite::Statement;
using sqlite::Transaction;
using Lock = std::lock_guard<std::mutex>;

std::string DeploymentRecord::status() const {
  bool any_failed = false, any_open = false, any_started = false;
  for (const auto& t : targets) {
    if (t.status == "failed") any_failed = true;
    if (t.status == "pending" || t.status == "sent" || t.status == "in_progress") any_open = true;
    if (t.status != "pending") any_started = true;
  }
  if (any_open) return any_started ? "in_progress" : "pending";
  if (any_failed) return "failed";
  return targets.empty() ? "pending" : "succeeded";
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  if (!db) return fail(db.error());
  if (auto r = db->migrate(kSqliteMigrations); !r) return fail(r.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

Result<void> SqliteStore::audit(const std::string& actor, const std::string& action,
                                const std::string& object_type, const std::string& object_id,
                                const std::string& detail_json) {
  RELMAN_TRY(st, db_.prepare("INSERT INTO audit_log(at, actor, action, object_type, object_id, "
                             "detail_json) VALUES(strftime('%s','now'), ?, ?, ?, ?, ?)"));
  return st.bind(1, actor)
      .bind(2, action)
      .bind(3, object_type)
      .bind(4, object_id)
      .bind(5, detail_json)
      .run();
}

// ---- users and sessions ----

Result<std::int64_t> SqliteStore::count_users() {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("SELECT COUNT(*) FROM users"));
  RELMAN_CHECK(st.step());
  return st.int64(0);
}

Result<User> SqliteStore::create_user(const std::string& username, const std::string& password_hash,
                                      const std::string& role, const std::string& actor) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st, db_.prepare("INSERT INTO users(username, password_hash, role, created_at) "
                             "VALUES(?, ?, ?, strftime('%s','now'))"));
  auto r = st.bind(1, username).bind(2, password_hash).bind(3, role).run();
  if (!r) {
    if (r.error().code == "store.constraint") {
      return fail("user.exists", "a user with this name exists already", username);
    }
    return fail(r.error());
  }
  User u{db_.last_insert_id(), username, password_hash, role};
  RELMAN_CHECK(
      audit(actor, "user.create", "user", username, nlohmann::json{{"role", role}}.dump()));
  RELMAN_CHECK(tx.commit());
  return u;
}

Result<std::optional<User>> SqliteStore::find_user(const std::string& username) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("SELECT id, username, password_hash, role FROM users "
                             "WHERE username = ?"));
  st.bind(1, username);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<User>();
  return std::optional<User>(User{st.int64(0), st.text(1), st.text(2), st.text(3)});
}

Result<void> SqliteStore::create_session(const std::string& token_hash, std::int64_t user_id,
                                         std::int64_t expires_at) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("INSERT INTO sessions(token_hash, user_id, expires_at) "
                             "VALUES(?, ?, ?)"));
  RELMAN_CHECK(st.bind(1, token_hash).bind(2, user_id).bind(3, expires_at).run());
  // Expired sessions are of no use to anyone: drop them while we are here.
  RELMAN_TRY(gc, db_.prepare("DELETE FROM sessions WHERE expires_at < strftime('%s','now')"));
  return gc.run();
}

Result<std::optional<User>> SqliteStore::find_session_user(const std::string& token_hash,
                                                           std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("SELECT u.id, u.username, u.password_hash, u.role FROM sessions s "
                             "JOIN users u ON u.id = s.user_id "
                             "WHERE s.token_hash = ? AND s.expires_at > ?"));
  st.bind(1, token_hash).bind(2, now);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<User>();
  return std::optional<User>(User{st.int64(0), st.text(1), st.text(2), st.text(3)});
}

Result<void> SqliteStore::delete_session(const std::string& token_hash) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("DELETE FROM sessions WHERE token_hash = ?"));
  return st.bind(1, token_hash).run();
}

// ---- packages ----

namespace {
constexpr const char* kPackageColumns =
    "id, name, version, platform, payload_kind, description, sha256, manifest_sha256, size, "
    "file_count, signer_key_ids, status, uploaded_by, uploaded_at";

PackageRecord read_package(const Statement& st) {
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

std::int64_t clamp_limit(std::int64_t limit) { return std::clamp<std::int64_t>(limit, 1, 500); }
}  // namespace

Result<std::optional<PackageRecord>> SqliteStore::package_where(const char* where,
                                                                const std::string& arg) {
  RELMAN_TRY(
      st, db_.prepare(std::string("SELECT ") + kPackageColumns + " FROM packages WHERE " + where));
  st.bind(1, arg);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<PackageRecord>();
  return std::optional<PackageRecord>(read_package(st));
}

Result<PackageRecord> SqliteStore::insert_package(const PackageRecord& p,
                                                  const std::string& actor) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(same, package_where("sha256 = ?", p.sha256));
  if (same) return *same;  // the same bytes again: nothing to do
  RELMAN_TRY(st, db_.prepare("SELECT sha256 FROM packages WHERE name = ? AND version = ?"));
  st.bind(1, p.name).bind(2, p.version);
  RELMAN_TRY(clash, st.step());
  if (clash) {
    return fail("dml.version_exists",
                "the DML already holds " + p.name + " " + p.version +
                    " with different content; versions are immutable: publish a new version",
                p.name + "@" + p.version);
  }
  nlohmann::json signers = p.signer_key_ids;
  RELMAN_TRY(ins, db_.prepare("INSERT INTO packages(name, version, platform, payload_kind, "
                              "description, sha256, manifest_sha256, size, file_count, "
                              "signer_key_ids, status, uploaded_by, uploaded_at) "
                              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,strftime('%s','now'))"));
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
      .bind(12, actor);
  RELMAN_CHECK(ins.run());
  std::int64_t id = db_.last_insert_id();
  RELMAN_CHECK(
      audit(actor, "package.upload", "package", std::to_string(id),
            nlohmann::json{{"name", p.name}, {"version", p.version}, {"sha256", p.sha256}}.dump()));
  RELMAN_TRY(stored, package_where("sha256 = ?", p.sha256));
  RELMAN_CHECK(tx.commit());
  return *stored;
}

Result<std::optional<PackageRecord>> SqliteStore::get_package(std::int64_t id) {
  Lock lock(mu_);
  return package_where("id = ?", std::to_string(id));
}

Result<std::optional<PackageRecord>> SqliteStore::find_package_by_sha256(const std::string& sha) {
  Lock lock(mu_);
  return package_where("sha256 = ?", sha);
}

Result<std::optional<PackageRecord>> SqliteStore::find_package(const std::string& name,
                                                               const std::string& version) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kPackageColumns +
                             " FROM packages WHERE name = ? AND version = ?"));
  st.bind(1, name).bind(2, version);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<PackageRecord>();
  return std::optional<PackageRecord>(read_package(st));
}

Result<std::vector<PackageRecord>> SqliteStore::list_packages(const Page& page) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kPackageColumns +
                             " FROM packages ORDER BY id DESC LIMIT ? OFFSET ?"));
  st.bind(1, clamp_limit(page.limit)).bind(2, page.offset);
  std::vector<PackageRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_package(st));
  }
  return out;
}

// ---- releases ----

namespace {
constexpr const char* kReleaseColumns =
    "id, number, title, description, state, created_by, created_at, updated_at";
ReleaseRecord read_release(const Statement& st) {
  return ReleaseRecord{st.int64(0), st.text(1), st.text(2),  st.text(3),
                       st.text(4),  st.text(5), st.int64(6), st.int64(7)};
}
}  // namespace

Result<ReleaseRecord> SqliteStore::create_release(const std::string& title,
                                                  const std::string& description,
                                                  const std::string& actor) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(next, db_.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM releases"));
  RELMAN_CHECK(next.step());
  char number[32];
  std::snprintf(number, sizeof number, "REL-%06lld", static_cast<long long>(next.int64(0)));
  RELMAN_TRY(st, db_.prepare("INSERT INTO releases(number, title, description, state, "
                             "created_by, created_at, updated_at) VALUES(?, ?, ?, 'registered', "
                             "?, strftime('%s','now'), strftime('%s','now'))"));
  RELMAN_CHECK(
      st.bind(1, std::string(number)).bind(2, title).bind(3, description).bind(4, actor).run());
  std::int64_t id = db_.last_insert_id();
  RELMAN_CHECK(audit(actor, "release.create", "release", std::to_string(id),
                     nlohmann::json{{"number", number}, {"title", title}}.dump()));
  RELMAN_TRY(q,
             db_.prepare(std::string("SELECT ") + kReleaseColumns + " FROM releases WHERE id = ?"));
  q.bind(1, id);
  RELMAN_CHECK(q.step());
  ReleaseRecord rec = read_release(q);
  RELMAN_CHECK(tx.commit());
  return rec;
}

Result<std::optional<ReleaseRecord>> SqliteStore::get_release(std::int64_t id) {
  Lock lock(mu_);
  RELMAN_TRY(st,
             db_.prepare(std::string("SELECT ") + kReleaseColumns + " FROM releases WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<ReleaseRecord>();
  return std::optional<ReleaseRecord>(read_release(st));
}

Result<std::vector<ReleaseRecord>> SqliteStore::list_releases(const Page& page) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kReleaseColumns +
                             " FROM releases ORDER BY id DESC LIMIT ? OFFSET ?"));
  st.bind(1, clamp_limit(page.limit)).bind(2, page.offset);
  std::vector<ReleaseRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_release(st));
  }
  return out;
}

// ---- deployments ----

namespace {
constexpr const char* kTargetColumns =
    "id, deployment_id, host_id, status, phase, bytes_done, bytes_total, error_code, message, "
    "COALESCE(order_id, ''), order_message, installed_version, sent_at, finished_at, updated_at";
TargetRecord read_target(const Statement& st, int c = 0) {
  TargetRecord t;
  t.id = st.int64(c + 0);
  t.deployment_id = st.int64(c + 1);
  t.host_id = st.text(c + 2);
  t.status = st.text(c + 3);
  t.phase = st.text(c + 4);
  t.bytes_done = st.int64(c + 5);
  t.bytes_total = st.int64(c + 6);
  t.error_code = st.text(c + 7);
  t.message = st.text(c + 8);
  t.order_id = st.text(c + 9);
  t.order_message = st.text(c + 10);
  t.installed_version = st.text(c + 11);
  t.sent_at = st.int64(c + 12);
  t.finished_at = st.int64(c + 13);
  t.updated_at = st.int64(c + 14);
  return t;
}
constexpr const char* kDeploymentColumns =
    "d.id, d.release_id, d.package_id, p.name, p.version, d.created_by, d.created_at, "
    "d.expires_at, d.allow_downgrade";
DeploymentRecord read_deployment(const Statement& st) {
  DeploymentRecord d;
  d.id = st.int64(0);
  d.release_id = st.int64(1);
  d.package_id = st.int64(2);
  d.package_name = st.text(3);
  d.package_version = st.text(4);
  d.created_by = st.text(5);
  d.created_at = st.int64(6);
  d.expires_at = st.int64(7);
  d.allow_downgrade = st.int64(8) != 0;
  return d;
}
}  // namespace

Result<std::vector<TargetRecord>> SqliteStore::targets_of(std::int64_t deployment_id) {
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kTargetColumns +
                             " FROM deployment_targets WHERE deployment_id = ? ORDER BY id"));
  st.bind(1, deployment_id);
  std::vector<TargetRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_target(st));
  }
  return out;
}

Result<std::optional<DeploymentRecord>> SqliteStore::deployment_locked(std::int64_t id) {
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kDeploymentColumns +
                             " FROM deployments d JOIN packages p ON p.id = d.package_id "
                             "WHERE d.id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<DeploymentRecord>();
  DeploymentRecord d = read_deployment(st);
  RELMAN_TRY(targets, targets_of(d.id));
  d.targets = std::move(targets);
  return std::optional<DeploymentRecord>(std::move(d));
}

Result<DeploymentRecord> SqliteStore::create_deployment(
    std::int64_t release_id, std::int64_t package_id, const std::vector<std::string>& hosts,
    std::int64_t expires_at, bool allow_downgrade, const std::string& actor) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st, db_.prepare("INSERT INTO deployments(release_id, package_id, created_by, "
                             "created_at, expires_at, allow_downgrade) "
                             "VALUES(?, ?, ?, strftime('%s','now'), ?, ?)"));
  RELMAN_CHECK(st.bind(1, release_id)
                   .bind(2, package_id)
                   .bind(3, actor)
                   .bind(4, expires_at)
                   .bind(5, allow_downgrade)
                   .run());
  std::int64_t id = db_.last_insert_id();
  for (const auto& host : hosts) {
    RELMAN_TRY(t, db_.prepare("INSERT INTO deployment_targets(deployment_id, host_id, status, "
                              "updated_at) VALUES(?, ?, 'pending', strftime('%s','now'))"));
    RELMAN_CHECK(t.bind(1, id).bind(2, host).run());
  }
  RELMAN_CHECK(
      audit(actor, "deployment.create", "deployment", std::to_string(id),
            nlohmann::json{{"release_id", release_id}, {"package_id", package_id}, {"hosts", hosts}}
                .dump()));
  RELMAN_TRY(d, deployment_locked(id));
  RELMAN_CHECK(tx.commit());
  return std::move(*d);
}

Result<std::optional<DeploymentRecord>> SqliteStore::get_deployment(std::int64_t id) {
  Lock lock(mu_);
  return deployment_locked(id);
}

Result<std::vector<DeploymentRecord>> SqliteStore::list_deployments(
    std::optional<std::int64_t> release_id, const Page& page) {
  Lock lock(mu_);
  std::string sql = std::string("SELECT ") + kDeploymentColumns +
                    " FROM deployments d JOIN packages p ON p.id = d.package_id";
  sql += release_id ? " WHERE d.release_id = ?1" : " WHERE ?1 IS NULL";
  sql += " ORDER BY d.id DESC LIMIT ?2 OFFSET ?3";
  RELMAN_TRY(st, db_.prepare(sql));
  if (release_id) {
    st.bind(1, *release_id);
  } else {
    st.bind_null(1);
  }
  st.bind(2, clamp_limit(page.limit)).bind(3, page.offset);
  std::vector<DeploymentRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_deployment(st));
  }
  for (auto& d : out) {
    RELMAN_TRY(targets, targets_of(d.id));
    d.targets = std::move(targets);
  }
  return out;
}

Result<std::vector<Delivery>> SqliteStore::open_deliveries(const std::string& host_id) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string("SELECT t.id FROM deployment_targets t WHERE "
                                         "t.host_id = ? AND t.status IN ('pending', 'sent', "
                                         "'in_progress') ORDER BY t.id")));
  st.bind(1, host_id);
  std::vector<std::int64_t> ids;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    ids.push_back(st.int64(0));
  }
  std::vector<Delivery> out;
  for (auto id : ids) {
    RELMAN_TRY(q, db_.prepare(std::string("SELECT ") + kTargetColumns +
                              " FROM deployment_targets WHERE id = ?"));
    q.bind(1, id);
    RELMAN_CHECK(q.step());
    Delivery d;
    d.target = read_target(q);
    RELMAN_TRY(dep, deployment_locked(d.target.deployment_id));
    if (!dep) continue;
    d.deployment = std::move(*dep);
    d.deployment.targets.clear();
    RELMAN_TRY(pkg, package_where("id = ?", std::to_string(d.deployment.package_id)));
    if (!pkg) continue;
    d.package = std::move(*pkg);
    out.push_back(std::move(d));
  }
  return out;
}

Result<bool> SqliteStore::host_awaits_package(const std::string& host_id,
                                              const std::string& sha256) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("SELECT 1 FROM deployment_targets t "
                             "JOIN deployments d ON d.id = t.deployment_id "
                             "JOIN packages p ON p.id = d.package_id "
                             "WHERE t.host_id = ? AND p.sha256 = ? AND "
                             "t.status IN ('pending', 'sent', 'in_progress') LIMIT 1"));
  st.bind(1, host_id).bind(2, sha256);
  return st.step();
}

Result<void> SqliteStore::record_order(std::int64_t target_id, const std::string& order_id,
                                       const std::string& order_message, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st, db_.prepare("UPDATE deployment_targets SET status = 'sent', order_id = ?, "
                             "order_message = ?, sent_at = ?, updated_at = ? "
                             "WHERE id = ? AND status = 'pending'"));
  RELMAN_CHECK(st.bind(1, order_id)
                   .bind(2, order_message)
                   .bind(3, now)
                   .bind(4, now)
                   .bind(5, target_id)
                   .run());
  if (db_.changes() != 1) {
    return fail("deploy.not_pending", "the target is no longer pending", std::to_string(target_id));
  }
  RELMAN_CHECK(audit("controller", "order.sign", "deployment_target", std::to_string(target_id),
                     nlohmann::json{{"order_id", order_id}}.dump()));
  return tx.commit();
}

Result<std::int64_t> SqliteStore::expire_pending_targets(std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st,
             db_.prepare("UPDATE deployment_targets SET status = 'failed', "
                         "error_code = 'deploy.expired_before_delivery', "
                         "message = 'the deployment deadline passed before the host connected', "
                         "finished_at = ?1, updated_at = ?1 WHERE status = 'pending' AND "
                         "deployment_id IN (SELECT id FROM deployments WHERE expires_at <= ?1)"));
  RELMAN_CHECK(st.bind(1, now).run());
  std::int64_t n = db_.changes();
  if (n > 0) {
    RELMAN_CHECK(audit("controller", "target.expire", "deployment_target", "*",
                       nlohmann::json{{"count", n}}.dump()));
  }
  RELMAN_CHECK(tx.commit());
  return n;
}

Result<void> SqliteStore::fail_target(std::int64_t target_id, const std::string& code,
                                      const std::string& message, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st, db_.prepare("UPDATE deployment_targets SET status = 'failed', error_code = ?, "
                             "message = ?, finished_at = ?, updated_at = ? WHERE id = ? AND "
                             "status IN ('pending', 'sent', 'in_progress')"));
  RELMAN_CHECK(
      st.bind(1, code).bind(2, message).bind(3, now).bind(4, now).bind(5, target_id).run());
  RELMAN_CHECK(audit("controller", "target.fail", "deployment_target", std::to_string(target_id),
                     nlohmann::json{{"code", code}, {"message", message}}.dump()));
  return tx.commit();
}

Result<void> SqliteStore::record_progress(const std::string& host_id, const std::string& order_id,
                                          const std::string& phase, std::int64_t bytes_done,
                                          std::int64_t bytes_total, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("SELECT status FROM deployment_targets WHERE order_id = ? AND "
                             "host_id = ?"));
  st.bind(1, order_id).bind(2, host_id);
  RELMAN_TRY(row, st.step());
  if (!row) {
    return fail("deploy.unknown_order", "no order with this id was sent to this host", order_id);
  }
  std::string status = st.text(0);
  if (status == "succeeded" || status == "failed") {
    return fail("deploy.already_finished", "the order has finished already", order_id);
  }
  RELMAN_TRY(up, db_.prepare("UPDATE deployment_targets SET status = 'in_progress', phase = ?, "
                             "bytes_done = ?, bytes_total = ?, updated_at = ? WHERE order_id = ?"));
  return up.bind(1, phase)
      .bind(2, bytes_done)
      .bind(3, bytes_total)
      .bind(4, now)
      .bind(5, order_id)
      .run();
}

Result<void> SqliteStore::record_result(const std::string& host_id, const std::string& order_id,
                                        bool succeeded, const std::string& code,
                                        const std::string& message,
                                        const std::string& installed_version, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(tx, Transaction::begin(db_));
  RELMAN_TRY(st, db_.prepare("SELECT id, status FROM deployment_targets WHERE order_id = ? AND "
                             "host_id = ?"));
  st.bind(1, order_id).bind(2, host_id);
  RELMAN_TRY(row, st.step());
  if (!row) {
    return fail("deploy.unknown_order", "no order with this id was sent to this host", order_id);
  }
  std::int64_t target_id = st.int64(0);
  std::string status = st.text(1);
  if (status == "succeeded" || status == "failed") {
    return fail("deploy.already_finished", "the order has finished already", order_id);
  }
  RELMAN_TRY(up, db_.prepare("UPDATE deployment_targets SET status = ?, phase = '', "
                             "error_code = ?, message = ?, installed_version = ?, "
                             "finished_at = ?, updated_at = ? WHERE id = ?"));
  RELMAN_CHECK(up.bind(1, std::string(succeeded ? "succeeded" : "failed"))
                   .bind(2, code)
                   .bind(3, message)
                   .bind(4, installed_version)
                   .bind(5, now)
                   .bind(6, now)
                   .bind(7, target_id)
                   .run());
  RELMAN_CHECK(
      audit(host_id, succeeded ? "target.succeeded" : "target.failed", "deployment_target",
            std::to_string(target_id),
            nlohmann::json{{"order_id", order_id}, {"code", code}, {"message", message}}.dump()));
  return tx.commit();
}

// ---- hosts ----

Result<void> SqliteStore::host_connected(const std::string& agent_id, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("INSERT INTO hosts(agent_id, connected, first_seen, last_seen) "
                             "VALUES(?1, 1, ?2, ?2) ON CONFLICT(agent_id) DO UPDATE SET "
                             "connected = 1, last_seen = ?2"));
  return st.bind(1, agent_id).bind(2, now).run();
}

Result<void> SqliteStore::host_disconnected(const std::string& agent_id, std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("UPDATE hosts SET connected = 0, last_seen = ? WHERE agent_id = ?"));
  return st.bind(1, now).bind(2, agent_id).run();
}

Result<void> SqliteStore::mark_all_hosts_disconnected() {
  Lock lock(mu_);
  return db_.exec("UPDATE hosts SET connected = 0");
}

Result<void> SqliteStore::record_inventory(const std::string& agent_id, const std::string& hostname,
                                           const std::string& os, const std::string& inventory_json,
                                           std::int64_t now) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare("UPDATE hosts SET hostname = ?, os = ?, inventory_json = ?, "
                             "last_seen = ? WHERE agent_id = ?"));
  return st.bind(1, hostname)
      .bind(2, os)
      .bind(3, inventory_json)
      .bind(4, now)
      .bind(5, agent_id)
      .run();
}

namespace {
constexpr const char* kHostColumns =
    "agent_id, hostname, os, connected, first_seen, last_seen, inventory_json";
HostRecord read_host(const Statement& st) {
  return HostRecord{st.text(0),  st.text(1),  st.text(2), st.int64(3) != 0,
                    st.int64(4), st.int64(5), st.text(6)};
}
}  // namespace

Result<std::vector<HostRecord>> SqliteStore::list_hosts(const Page& page) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string("SELECT ") + kHostColumns +
                             " FROM hosts ORDER BY agent_id LIMIT ? OFFSET ?"));
  st.bind(1, clamp_limit(page.limit)).bind(2, page.offset);
  std::vector<HostRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_host(st));
  }
  return out;
}

Result<std::optional<HostRecord>> SqliteStore::get_host(const std::string& agent_id) {
  Lock lock(mu_);
  RELMAN_TRY(st,
             db_.prepare(std::string("SELECT ") + kHostColumns + " FROM hosts WHERE agent_id = ?"));
  st.bind(1, agent_id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<HostRecord>();
  return std::optional<HostRecord>(read_host(st));
}

namespace {

Result<std::vector<AuditEntry>> read_audit(Statement& st) {
  std::vector<AuditEntry> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    out.push_back(AuditEntry{st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4),
                             st.text(5), st.text(6)});
  }
  return out;
}

constexpr const char* kAuditColumns =
    "SELECT id, at, actor, action, object_type, object_id, detail_json FROM audit_log ";

}  // namespace

Result<std::vector<AuditEntry>> SqliteStore::list_audit(const AuditQuery& query, const Page& page) {
  Lock lock(mu_);
  // Each condition is skipped when its parameter is empty; the action prefix is matched
  // with substr so that '%' and '_' in it are not LIKE wildcards.
  RELMAN_TRY(st, db_.prepare(std::string(kAuditColumns) +
                             "WHERE (? = '' OR actor = ?) AND (? = '' OR object_type = ?) "
                             "AND (? = '' OR object_id = ?) "
                             "AND (? = '' OR substr(action, 1, length(?)) = ?) "
                             "ORDER BY id DESC LIMIT ? OFFSET ?"));
  int i = 0;
  for (const auto* v :
       {&query.actor, &query.actor, &query.object_type, &query.object_type, &query.object_id,
        &query.object_id, &query.action_prefix, &query.action_prefix, &query.action_prefix}) {
    st.bind(++i, *v);
  }
  st.bind(++i, clamp_limit(page.limit)).bind(++i, page.offset);
  return read_audit(st);
}

Result<std::vector<AuditEntry>> SqliteStore::list_audit_after(std::int64_t after_id,
                                                              std::int64_t limit) {
  Lock lock(mu_);
  RELMAN_TRY(st, db_.prepare(std::string(kAuditColumns) + "WHERE id > ? ORDER BY id LIMIT ?"));
  st.bind(1, after_id).bind(2, clamp_limit(limit));
  return read_audit(st);
}

}  // namespace relman::controller
