// SqlStore: deployments, their per-host targets and the order lifecycle of each target.
#include "controller/store/sql_store.hpp"

#include <algorithm>

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
    "COALESCE(order_id, ''), order_message, installed_version, sent_at, finished_at, updated_at, "
    "output, started_at";
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
  t.output = st.text(15);
  t.started_at = st.int64(16);
  return t;
}
constexpr const char* kDeploymentColumns =
    "d.id, d.release_id, d.package_id, p.name, p.version, d.created_by, d.created_at, "
    "d.expires_at, d.allow_downgrade, d.action, COALESCE(d.rollback_of, 0)";
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
  d.action = st.text(9);
  d.rollback_of = st.int64(10);
  return d;
}

Result<std::vector<TargetRecord>> targets_of(sql::Connection& c, std::int64_t deployment_id) {
  RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kTargetColumns +
                           " FROM deployment_targets WHERE deployment_id = ? ORDER BY id"));
  st.bind(1, deployment_id);
  RELMAN_TRY(out, store_sql::collect<TargetRecord>(st, read_target));
  RELMAN_TRY(ph, c.prepare("SELECT p.target_id, p.phase, p.started_at "
                           "FROM deployment_target_phases p JOIN deployment_targets t "
                           "ON t.id = p.target_id WHERE t.deployment_id = ? "
                           "ORDER BY p.target_id, p.seq"));
  ph.bind(1, deployment_id);
  for (;;) {
    RELMAN_TRY(row, ph.step());
    if (!row) break;
    auto target_id = ph.int64(0);
    auto t = std::find_if(out.begin(), out.end(), [&](const auto& x) { return x.id == target_id; });
    if (t != out.end()) t->phases.push_back(PhaseTime{ph.text(1), ph.int64(2)});
  }
  return out;
}

// A pending target (an order to sign and send when the host is connected) per host.
Result<void> insert_pending_targets(sql::Connection& c, std::int64_t deployment_id,
                                    const std::vector<std::string>& hosts, std::int64_t now) {
  RELMAN_TRY(t, c.prepare("INSERT INTO deployment_targets(deployment_id, host_id, status, "
                          "updated_at) VALUES(?, ?, 'pending', ?)"));
  for (const auto& host : hosts) {
    t.reset();
    RELMAN_CHECK(t.bind(1, deployment_id).bind(2, host).bind(3, now).run());
  }
  return ok();
}

// Appends (target, phase, now) to the phase timings unless it is the target's last phase.
// Returns the phase the target leaves ("" for its first) when one was appended, else nullopt.
Result<std::optional<std::string>> note_phase(sql::Connection& c, std::int64_t target_id,
                                              const std::string& phase, std::int64_t now) {
  RELMAN_TRY(last, c.prepare("SELECT phase, seq FROM deployment_target_phases "
                             "WHERE target_id = ? ORDER BY seq DESC LIMIT 1"));
  last.bind(1, target_id);
  RELMAN_TRY(row, last.step());
  std::int64_t seq = 0;
  std::string previous;
  if (row) {
    previous = last.text(0);
    if (previous == phase) return std::optional<std::string>();
    seq = last.int64(1) + 1;
  }
  // An agent that keeps changing phase (or restarting) cannot grow the table (or the audit
  // log) without bound; the target's own row still shows its latest phase.
  constexpr std::int64_t kMaxPhasesPerTarget = 64;
  if (seq >= kMaxPhasesPerTarget) return std::optional<std::string>();
  RELMAN_TRY(ins, c.prepare("INSERT INTO deployment_target_phases(target_id, seq, phase, "
                            "started_at) VALUES(?, ?, ?, ?)"));
  RELMAN_CHECK(ins.bind(1, target_id).bind(2, seq).bind(3, phase).bind(4, now).run());
  return std::optional<std::string>(std::move(previous));
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
  std::int64_t deployment_id = 0;
};
Result<OpenTarget> open_target_of_order(sql::Connection& c, const std::string& host_id,
                                        const std::string& order_id) {
  RELMAN_TRY(st, c.prepare("SELECT id, status, deployment_id FROM deployment_targets "
                           "WHERE order_id = ? AND host_id = ?"));
  st.bind(1, order_id).bind(2, host_id);
  RELMAN_TRY(row, st.step());
  if (!row) {
    return fail("deploy.unknown_order", "no order with this id was sent to this host", order_id);
  }
  const std::string status = st.text(1);
  if (status == "succeeded" || status == "failed") {
    return fail("deploy.already_finished", "the order has finished already", order_id);
  }
  return OpenTarget{st.int64(0), st.int64(2)};
}
}  // namespace

Result<void> store_sql::check_deployable(sql::Connection& c, std::int64_t package_id) {
  RELMAN_TRY(pkg, store_sql::load_package(c, package_id));
  if (!pkg) return fail("package.not_found", "the DML holds no such package version");
  if (pkg->status == "revoked") {
    return fail("package.revoked",
                pkg->name + " " + pkg->version +
                    " was revoked and can never be deployed: " + pkg->status_reason,
                std::to_string(package_id));
  }
  if (pkg->status != "authorized") {
    return fail("package.not_authorized",
                pkg->name + " " + pkg->version + " is " + pkg->status +
                    "; only authorized versions are deployed (POST /packages/" +
                    std::to_string(package_id) + "/transitions: test, then authorize)",
                std::to_string(package_id));
  }
  return ok();
}

Result<DeploymentRecord> SqlStore::create_deployment(std::int64_t release_id,
                                                     std::int64_t package_id,
                                                     const std::vector<std::string>& hosts,
                                                     std::int64_t expires_at, bool allow_downgrade,
                                                     const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<DeploymentRecord> {
    RELMAN_CHECK(store_sql::check_deployable(c, package_id));
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
    RELMAN_CHECK(insert_pending_targets(c, id, hosts, now));
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
                             "WHERE t.host_id = ? AND p.sha256 = ? AND d.action = 'install' AND "
                             "p.status <> 'revoked' AND "
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
                             "bytes_done = ?, bytes_total = ?, updated_at = ?, "
                             "started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END "
                             "WHERE id = ?"));
    RELMAN_CHECK(up.bind(1, phase)
                     .bind(2, bytes_done)
                     .bind(3, bytes_total)
                     .bind(4, now)
                     .bind(5, now)
                     .bind(6, target.id)
                     .run());
    // Only a phase change is an event (and an audit entry); byte progress is kept as the
    // target's latest state, so a long download does not flood the log.
    RELMAN_TRY(left, note_phase(c, target.id, phase, now));
    if (!left) return ok();
    return store_sql::append_audit(c, host_id, "deployment.progress", "deployment",
                                   std::to_string(target.deployment_id),
                                   nlohmann::json{{"target_id", target.id},
                                                  {"host", host_id},
                                                  {"phase", phase},
                                                  {"previous_phase", *left},
                                                  {"bytes_done", bytes_done},
                                                  {"bytes_total", bytes_total}}
                                       .dump());
  });
}

Result<void> SqlStore::record_result(const std::string& host_id, const std::string& order_id,
                                     bool succeeded, const std::string& code,
                                     const std::string& message,
                                     const std::string& installed_version,
                                     const std::string& final_phase, const std::string& output,
                                     std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(target, open_target_of_order(c, host_id, order_id));
    std::string phase = final_phase.empty() ? (succeeded ? "done" : "failed") : final_phase;
    RELMAN_TRY(up, c.prepare("UPDATE deployment_targets SET status = ?, phase = ?, "
                             "error_code = ?, message = ?, installed_version = ?, output = ?, "
                             "finished_at = ?, updated_at = ? WHERE id = ?"));
    RELMAN_CHECK(up.bind(1, succeeded ? "succeeded" : "failed")
                     .bind(2, phase)
                     .bind(3, code)
                     .bind(4, message)
                     .bind(5, installed_version)
                     .bind(6, output)
                     .bind(7, now)
                     .bind(8, now)
                     .bind(9, target.id)
                     .run());
    RELMAN_TRY(left, note_phase(c, target.id, phase, now));
    (void)left;  // the result's own audit entry (target.succeeded/failed) names the phase
    return store_sql::append_audit(c, host_id, succeeded ? "target.succeeded" : "target.failed",
                                   "deployment_target", std::to_string(target.id),
                                   nlohmann::json{{"order_id", order_id},
                                                  {"code", code},
                                                  {"message", message},
                                                  {"phase", phase},
                                                  {"installed_version", installed_version}}
                                       .dump());
  });
}

// ---- rollback deployments (installer, issue 4) ----

Result<std::int64_t> store_sql::insert_rollback_deployment(sql::Connection& c, std::int64_t of,
                                                           const std::vector<std::string>& hosts,
                                                           std::int64_t expires_at,
                                                           const std::string& actor,
                                                           std::int64_t now) {
  RELMAN_TRY(st, c.prepare("INSERT INTO deployments(release_id, package_id, created_by, "
                           "created_at, expires_at, allow_downgrade, action, rollback_of) "
                           "SELECT release_id, package_id, ?, ?, ?, ?, 'rollback', id "
                           "FROM deployments WHERE id = ? RETURNING id"));
  st.bind(1, actor).bind(2, now).bind(3, expires_at).bind(4, false).bind(5, of);
  RELMAN_TRY(row, st.step());
  if (!row) return fail("deployment.not_found", "no deployment with this id", std::to_string(of));
  std::int64_t id = st.int64(0);
  RELMAN_CHECK(st.run());
  RELMAN_CHECK(insert_pending_targets(c, id, hosts, now));
  RELMAN_CHECK(
      store_sql::append_audit(c, actor, "deployment.rollback", "deployment", std::to_string(id),
                              nlohmann::json{{"rollback_of", of}, {"hosts", hosts}}.dump()));
  return id;
}

Result<DeploymentRecord> SqlStore::create_rollback_deployment(std::int64_t of,
                                                              const std::vector<std::string>& hosts,
                                                              std::int64_t expires_at,
                                                              const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<DeploymentRecord> {
    RELMAN_TRY(
        id, store_sql::insert_rollback_deployment(c, of, hosts, expires_at, actor, unix_seconds()));
    RELMAN_TRY(d, load_deployment(c, id));
    if (!d) return fail("store.query_failed", "the new deployment row is missing");
    return std::move(*d);
  });
}

}  // namespace relman::controller
