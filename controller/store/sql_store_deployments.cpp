// SqlStore: deployments, their per-host targets and the order lifecycle of each target.
#include "controller/store/sql_store.hpp"

#include <nlohmann/json.hpp>

#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {

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

namespace {
constexpr const char* kTargetColumns =
    "id, deployment_id, host_id, status, phase, bytes_done, bytes_total, error_code, message, "
    "COALESCE(order_id, ''), order_message, installed_version, sent_at, finished_at, updated_at";
TargetRecord read_target(const sql::Statement& st) {
  TargetRecord t;
  t.id = st.int64(0);
  t.deployment_id = st.int64(1);
  t.host_id = st.text(2);
  t.status = st.text(3);
  t.phase = st.text(4);
  t.bytes_done = st.int64(5);
  t.bytes_total = st.int64(6);
  t.error_code = st.text(7);
  t.message = st.text(8);
  t.order_id = st.text(9);
  t.order_message = st.text(10);
  t.installed_version = st.text(11);
  t.sent_at = st.int64(12);
  t.finished_at = st.int64(13);
  t.updated_at = st.int64(14);
  return t;
}
constexpr const char* kDeploymentColumns =
    "d.id, d.release_id, d.package_id, p.name, p.version, d.created_by, d.created_at, "
    "d.expires_at, d.allow_downgrade";
constexpr const char* kDeploymentFrom =
    " FROM deployments d JOIN packages p ON p.id = d.package_id";
DeploymentRecord read_deployment(const sql::Statement& st) {
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

Result<std::vector<TargetRecord>> targets_of(sql::Connection& c, std::int64_t deployment_id) {
  RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kTargetColumns +
                           " FROM deployment_targets WHERE deployment_id = ? ORDER BY id"));
  st.bind(1, deployment_id);
  return store_sql::collect<TargetRecord>(st, read_target);
}

Result<std::optional<DeploymentRecord>> load_deployment(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kDeploymentColumns + kDeploymentFrom +
                           " WHERE d.id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<DeploymentRecord>();
  DeploymentRecord d = read_deployment(st);
  RELMAN_TRY(targets, targets_of(c, d.id));
  d.targets = std::move(targets);
  return std::optional<DeploymentRecord>(std::move(d));
}

// The target an agent reports on: only the host the order was for may report
// (deploy.unknown_order), and a finished target stays finished (deploy.already_finished).
struct OpenTarget {
  std::int64_t id = 0;
};
Result<OpenTarget> open_target_of_order(sql::Connection& c, const std::string& host_id,
                                        const std::string& order_id) {
  RELMAN_TRY(st, c.prepare("SELECT id, status FROM deployment_targets WHERE order_id = ? AND "
                           "host_id = ?"));
  st.bind(1, order_id).bind(2, host_id);
  RELMAN_TRY(row, st.step());
  if (!row) {
    return fail("deploy.unknown_order", "no order with this id was sent to this host", order_id);
  }
  const std::string status = st.text(1);
  if (status == "succeeded" || status == "failed") {
    return fail("deploy.already_finished", "the order has finished already", order_id);
  }
  return OpenTarget{st.int64(0)};
}
}  // namespace

Result<DeploymentRecord> SqlStore::create_deployment(std::int64_t release_id,
                                                     std::int64_t package_id,
                                                     const std::vector<std::string>& hosts,
                                                     std::int64_t expires_at, bool allow_downgrade,
                                                     const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<DeploymentRecord> {
    const auto now = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO deployments(release_id, package_id, created_by, "
                             "created_at, expires_at, allow_downgrade) "
                             "VALUES(?, ?, ?, ?, ?, ?) RETURNING id"));
    st.bind(1, release_id)
        .bind(2, package_id)
        .bind(3, actor)
        .bind(4, now)
        .bind(5, expires_at)
        .bind(6, allow_downgrade);
    RELMAN_CHECK(st.step());
    std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(t, c.prepare("INSERT INTO deployment_targets(deployment_id, host_id, status, "
                            "updated_at) VALUES(?, ?, 'pending', ?)"));
    for (const auto& host : hosts) {
      t.reset();
      RELMAN_CHECK(t.bind(1, id).bind(2, host).bind(3, now).run());
    }
    RELMAN_CHECK(store_sql::append_audit(
        c, actor, "deployment.create", "deployment", std::to_string(id),
        nlohmann::json{{"release_id", release_id}, {"package_id", package_id}, {"hosts", hosts}}
            .dump()));
    RELMAN_TRY(d, load_deployment(c, id));
    if (!d) return fail("store.query_failed", "the new deployment row is missing");
    return std::move(*d);
  });
}

Result<std::optional<DeploymentRecord>> SqlStore::get_deployment(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return load_deployment(c, id); });
}

Result<std::vector<DeploymentRecord>> SqlStore::list_deployments(
    std::optional<std::int64_t> release_id, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<DeploymentRecord>> {
    std::string query = std::string("SELECT ") + kDeploymentColumns + kDeploymentFrom;
    if (release_id) query += " WHERE d.release_id = ?";
    query += " ORDER BY d.id DESC LIMIT ? OFFSET ?";
    RELMAN_TRY(st, c.prepare(query));
    int i = 1;
    if (release_id) st.bind(i++, *release_id);
    st.bind(i, store_sql::clamp_limit(page.limit));
    st.bind(i + 1, page.offset);
    RELMAN_TRY(out, store_sql::collect<DeploymentRecord>(st, read_deployment));
    for (auto& d : out) {
      RELMAN_TRY(targets, targets_of(c, d.id));
      d.targets = std::move(targets);
    }
    return std::move(out);
  });
}

Result<std::vector<Delivery>> SqlStore::open_deliveries(const std::string& host_id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<Delivery>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kTargetColumns +
                             " FROM deployment_targets WHERE host_id = ? AND "
                             "status IN ('pending', 'sent', 'in_progress') ORDER BY id"));
    st.bind(1, host_id);
    RELMAN_TRY(targets, store_sql::collect<TargetRecord>(st, read_target));
    std::vector<Delivery> out;
    for (auto& target : targets) {
      Delivery d;
      d.target = std::move(target);
      RELMAN_TRY(dep, load_deployment(c, d.target.deployment_id));
      if (!dep) continue;
      d.deployment = std::move(*dep);
      d.deployment.targets.clear();
      RELMAN_TRY(pkg, store_sql::load_package(c, d.deployment.package_id));
      if (!pkg) continue;
      d.package = std::move(*pkg);
      out.push_back(std::move(d));
    }
    return out;
  });
}

Result<bool> SqlStore::host_awaits_package(const std::string& host_id, const std::string& sha256) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<bool> {
    RELMAN_TRY(st, c.prepare("SELECT 1 FROM deployment_targets t "
                             "JOIN deployments d ON d.id = t.deployment_id "
                             "JOIN packages p ON p.id = d.package_id "
                             "WHERE t.host_id = ? AND p.sha256 = ? AND "
                             "t.status IN ('pending', 'sent', 'in_progress') LIMIT 1"));
    st.bind(1, host_id).bind(2, sha256);
    return st.step();
  });
}

Result<void> SqlStore::record_order(std::int64_t target_id, const std::string& order_id,
                                    const std::string& order_message, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE deployment_targets SET status = 'sent', order_id = ?, "
                             "order_message = ?, sent_at = ?, updated_at = ? "
                             "WHERE id = ? AND status = 'pending'"));
    RELMAN_CHECK(st.bind(1, order_id)
                     .bind(2, order_message)
                     .bind(3, now)
                     .bind(4, now)
                     .bind(5, target_id)
                     .run());
    if (st.changes() != 1) {
      return fail("deploy.not_pending", "the target is no longer pending",
                  std::to_string(target_id));
    }
    return store_sql::append_audit(c, "controller", "order.sign", "deployment_target",
                                   std::to_string(target_id),
                                   nlohmann::json{{"order_id", order_id}}.dump());
  });
}

Result<std::int64_t> SqlStore::expire_pending_targets(std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<std::int64_t> {
    RELMAN_TRY(st, c.prepare("UPDATE deployment_targets SET status = 'failed', "
                             "error_code = 'deploy.expired_before_delivery', "
                             "message = 'the deployment deadline passed before the host "
                             "connected', finished_at = ?1, updated_at = ?1 WHERE status = "
                             "'pending' AND deployment_id IN (SELECT id FROM deployments WHERE "
                             "expires_at <= ?1)"));
    RELMAN_CHECK(st.bind(1, now).run());
    std::int64_t n = st.changes();
    if (n > 0) {
      RELMAN_CHECK(store_sql::append_audit(c, "controller", "target.expire", "deployment_target",
                                           "*", nlohmann::json{{"count", n}}.dump()));
    }
    return n;
  });
}

Result<void> SqlStore::fail_target(std::int64_t target_id, const std::string& code,
                                   const std::string& message, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE deployment_targets SET status = 'failed', error_code = ?, "
                             "message = ?, finished_at = ?, updated_at = ? WHERE id = ? AND "
                             "status IN ('pending', 'sent', 'in_progress')"));
    RELMAN_CHECK(
        st.bind(1, code).bind(2, message).bind(3, now).bind(4, now).bind(5, target_id).run());
    return store_sql::append_audit(c, "controller", "target.fail", "deployment_target",
                                   std::to_string(target_id),
                                   nlohmann::json{{"code", code}, {"message", message}}.dump());
  });
}

Result<void> SqlStore::record_progress(const std::string& host_id, const std::string& order_id,
                                       const std::string& phase, std::int64_t bytes_done,
                                       std::int64_t bytes_total, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(target, open_target_of_order(c, host_id, order_id));
    RELMAN_TRY(up, c.prepare("UPDATE deployment_targets SET status = 'in_progress', phase = ?, "
                             "bytes_done = ?, bytes_total = ?, updated_at = ? WHERE id = ?"));
    return up.bind(1, phase)
        .bind(2, bytes_done)
        .bind(3, bytes_total)
        .bind(4, now)
        .bind(5, target.id)
        .run();
  });
}

Result<void> SqlStore::record_result(const std::string& host_id, const std::string& order_id,
                                     bool succeeded, const std::string& code,
                                     const std::string& message,
                                     const std::string& installed_version, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(target, open_target_of_order(c, host_id, order_id));
    RELMAN_TRY(up, c.prepare("UPDATE deployment_targets SET status = ?, phase = '', "
                             "error_code = ?, message = ?, installed_version = ?, "
                             "finished_at = ?, updated_at = ? WHERE id = ?"));
    RELMAN_CHECK(up.bind(1, succeeded ? "succeeded" : "failed")
                     .bind(2, code)
                     .bind(3, message)
                     .bind(4, installed_version)
                     .bind(5, now)
                     .bind(6, now)
                     .bind(7, target.id)
                     .run());
    return store_sql::append_audit(
        c, host_id, succeeded ? "target.succeeded" : "target.failed", "deployment_target",
        std::to_string(target.id),
        nlohmann::json{{"order_id", order_id}, {"code", code}, {"message", message}}.dump());
  });
}

}  // namespace relman::controller
