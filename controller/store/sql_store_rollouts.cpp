// SqlStore: rollouts, their waves and hosts. The engine's decisions are written here, in the
// transaction that made them, together with the deployment targets they create.
#include "controller/store/sql_store.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;
using rollout::RolloutHost;
using rollout::RolloutRecord;
using rollout::RolloutWave;

constexpr const char* kRolloutColumns =
    "id, release_id, package_id, deployment_id, state, failure_policy, rollback, reason, "
    "deadline, request_json, created_by, created_at, finished_at, updated_at, "
    "(SELECT p.status FROM packages p WHERE p.id = rollouts.package_id)";

RolloutRecord read_rollout(const sql::Statement& st) {
  RolloutRecord r;
  r.id = st.int64(0);
  r.release_id = st.int64(1);
  r.package_id = st.int64(2);
  r.deployment_id = st.int64(3);
  r.state = st.text(4);
  r.failure_policy = st.text(5);
  r.rollback = st.text(6);
  r.reason = st.text(7);
  r.deadline = st.int64(8);
  r.request_json = st.text(9);
  r.created_by = st.text(10);
  r.created_at = st.int64(11);
  r.finished_at = st.int64(12);
  r.updated_at = st.int64(13);
  r.package_status = st.is_null(14) ? "" : st.text(14);
  return r;
}

RolloutWave read_wave(const sql::Statement& st) {
  RolloutWave w;
  w.index = st.int64(0);
  w.kind = st.text(1);
  w.state = st.text(2);
  w.max_concurrent = st.int64(3);
  w.min_succeeded = st.int64(4);
  w.max_failed = st.int64(5);
  w.earliest_start = st.int64(6);
  w.started_at = st.int64(7);
  w.finished_at = st.int64(8);
  return w;
}

RolloutHost read_host(const sql::Statement& st) {
  RolloutHost h;
  h.row_id = st.int64(0);
  h.wave = st.int64(1);
  h.position = st.int64(2);
  h.host_id = st.text(3);
  h.tier = st.int64(4);
  auto after = json::parse(st.text(5), nullptr, false);
  if (after.is_array()) {
    for (const auto& a : after) {
      if (a.is_string()) h.after.push_back(a.get<std::string>());
    }
  }
  h.earliest_start = st.int64(6);
  h.allowed_until = st.int64(7);
  h.state = st.text(8);
  h.target_id = st.is_null(9) ? 0 : st.int64(9);
  h.attempts = st.int64(10);
  h.error_code = st.text(11);
  h.message = st.text(12);
  h.dispatched_at = st.int64(13);
  h.finished_at = st.int64(14);
  h.target_status = st.is_null(15) ? "" : st.text(15);
  h.target_error_code = st.is_null(16) ? "" : st.text(16);
  h.target_message = st.is_null(17) ? "" : st.text(17);
  h.target_deployment_id = st.is_null(18) ? 0 : st.int64(18);
  h.rollback_target_id = st.is_null(19) ? 0 : st.int64(19);
  h.rollback_status = st.is_null(20) ? "" : st.text(20);
  h.rollback_error_code = st.is_null(21) ? "" : st.text(21);
  h.rollback_message = st.is_null(22) ? "" : st.text(22);
  return h;
}

Result<void> load_parts(sql::Connection& c, RolloutRecord& r) {
  RELMAN_TRY(ws, c.prepare("SELECT wave_index, kind, state, max_concurrent, min_succeeded, "
                           "max_failed, earliest_start, started_at, finished_at FROM "
                           "rollout_waves WHERE rollout_id = ? ORDER BY wave_index"));
  ws.bind(1, r.id);
  RELMAN_TRY(waves, store_sql::collect<RolloutWave>(ws, read_wave));
  r.waves = std::move(waves);
  RELMAN_TRY(hs, c.prepare("SELECT h.id, h.wave_index, h.position, h.host_id, h.tier, "
                           "h.after_json, h.earliest_start, h.allowed_until, h.state, "
                           "h.target_id, h.attempts, h.error_code, h.message, h.dispatched_at, "
                           "h.finished_at, t.status, t.error_code, t.message, t.deployment_id, "
                           "h.rollback_target_id, b.status, b.error_code, b.message "
                           "FROM rollout_hosts h "
                           "LEFT JOIN deployment_targets t ON t.id = h.target_id "
                           "LEFT JOIN deployment_targets b ON b.id = h.rollback_target_id "
                           "WHERE h.rollout_id = ? ORDER BY h.wave_index, h.position"));
  hs.bind(1, r.id);
  RELMAN_TRY(hosts, store_sql::collect<RolloutHost>(hs, read_host));
  r.hosts = std::move(hosts);
  return ok();
}

Result<std::optional<RolloutRecord>> load_rollout(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st,
             c.prepare(std::string("SELECT ") + kRolloutColumns + " FROM rollouts WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<RolloutRecord>();
  RolloutRecord r = read_rollout(st);
  RELMAN_CHECK(load_parts(c, r));
  return std::optional<RolloutRecord>(std::move(r));
}

Result<std::int64_t> insert_deployment(sql::Connection& c, const RolloutRecord& r,
                                       bool allow_downgrade, const std::string& actor,
                                       std::int64_t now) {
  // A rollout's orders obey the DML like any deployment's (checked again on retry-failed).
  RELMAN_CHECK(store_sql::check_deployable(c, r.package_id));
  RELMAN_TRY(st, c.prepare("INSERT INTO deployments(release_id, package_id, created_by, "
                           "created_at, expires_at, allow_downgrade) VALUES(?, ?, ?, ?, ?, ?) "
                           "RETURNING id"));
  st.bind(1, r.release_id)
      .bind(2, r.package_id)
      .bind(3, actor)
      .bind(4, now)
      .bind(5, r.deadline)
      .bind(6, allow_downgrade);
  RELMAN_CHECK(st.step());
  std::int64_t id = st.int64(0);
  RELMAN_CHECK(st.run());
  RELMAN_CHECK(store_sql::append_audit(
      c, actor, "deployment.create", "deployment", std::to_string(id),
      json{{"release_id", r.release_id}, {"package_id", r.package_id}, {"rollout_id", r.id}}
          .dump()));
  return id;
}

// A row id, or NULL for none (0).
void bind_id(sql::Statement& st, int index, std::int64_t id) {
  if (id == 0) {
    st.bind_null(index);
  } else {
    st.bind(index, id);
  }
}

// The hosts marked order_rollback get a target in a rollback deployment of the deployment their
// install target belongs to (one per deployment: retry-failed opens new ones). Rollback orders
// live until the rollout's deadline, and at least a day.
Result<void> order_rollbacks(sql::Connection& c, RolloutRecord& r, std::int64_t now) {
  std::map<std::int64_t, std::vector<RolloutHost*>> by_deployment;
  for (auto& h : r.hosts) {
    if (h.order_rollback && h.target_deployment_id != 0) {
      by_deployment[h.target_deployment_id].push_back(&h);
    }
  }
  constexpr std::int64_t kMinRollbackSeconds = 86400;
  const std::int64_t expires = std::max(r.deadline, now + kMinRollbackSeconds);
  for (auto& [deployment, hosts] : by_deployment) {
    std::vector<std::string> ids;
    for (const auto* h : hosts) ids.push_back(h->host_id);
    RELMAN_TRY(
        id, store_sql::insert_rollback_deployment(c, deployment, ids, expires, "controller", now));
    RELMAN_TRY(st, c.prepare("SELECT id, host_id FROM deployment_targets WHERE deployment_id = ?"));
    st.bind(1, id);
    for (;;) {
      RELMAN_TRY(row, st.step());
      if (!row) break;
      for (auto* h : hosts) {
        if (h->host_id == st.text(1)) {
          h->rollback_target_id = st.int64(0);
          h->rollback_status = "pending";
        }
      }
    }
  }
  return ok();
}

// The hosts the change dispatched get a pending target in the rollout's current deployment;
// cancelled targets that were never sent fail.
Result<void> write_host(sql::Connection& c, const RolloutRecord& r, RolloutHost& h,
                        std::int64_t now) {
  if (h.dispatch) {
    RELMAN_TRY(t, c.prepare("INSERT INTO deployment_targets(deployment_id, host_id, status, "
                            "updated_at) VALUES(?, ?, 'pending', ?) RETURNING id"));
    t.bind(1, r.deployment_id).bind(2, h.host_id).bind(3, now);
    RELMAN_CHECK(t.step());
    h.target_id = t.int64(0);
    RELMAN_CHECK(t.run());
  }
  if (h.cancel_target && h.target_id != 0) {
    RELMAN_TRY(t, c.prepare("UPDATE deployment_targets SET status = 'failed', error_code = ?, "
                            "message = ?, finished_at = ?, updated_at = ? WHERE id = ? AND "
                            "status = 'pending'"));
    RELMAN_CHECK(t.bind(1, h.error_code)
                     .bind(2, h.message)
                     .bind(3, now)
                     .bind(4, now)
                     .bind(5, h.target_id)
                     .run());
    RELMAN_CHECK(store_sql::append_audit(
        c, "controller", "target.fail", "deployment_target", std::to_string(h.target_id),
        json{{"code", h.error_code}, {"message", h.message}}.dump()));
  }
  RELMAN_TRY(st, c.prepare("UPDATE rollout_hosts SET state = ?, target_id = ?, attempts = ?, "
                           "error_code = ?, message = ?, dispatched_at = ?, finished_at = ?, "
                           "rollback_target_id = ? WHERE id = ?"));
  st.bind(1, h.state);
  bind_id(st, 2, h.target_id);
  st.bind(3, h.attempts)
      .bind(4, h.error_code)
      .bind(5, h.message)
      .bind(6, h.dispatched_at)
      .bind(7, h.finished_at);
  bind_id(st, 8, h.rollback_target_id);
  return st.bind(9, h.row_id).run();
}

bool host_changed(const RolloutHost& a, const RolloutHost& b) {
  return b.dispatch || b.cancel_target || b.order_rollback ||
         a.rollback_target_id != b.rollback_target_id || a.state != b.state ||
         a.attempts != b.attempts || a.error_code != b.error_code || a.message != b.message ||
         a.dispatched_at != b.dispatched_at || a.finished_at != b.finished_at;
}

Result<void> write_changes(sql::Connection& c, const RolloutRecord& before, RolloutRecord& r,
                           std::int64_t now) {
  if (r.new_deployment) {
    RELMAN_TRY(st, c.prepare("SELECT allow_downgrade FROM deployments WHERE id = ?"));
    st.bind(1, before.deployment_id);
    RELMAN_TRY(row, st.step());
    const bool allow_downgrade = row && st.int64(0) != 0;
    RELMAN_CHECK(st.run());
    RELMAN_TRY(id, insert_deployment(c, r, allow_downgrade, "controller", now));
    r.deployment_id = id;
    r.new_deployment = false;
  }
  r.updated_at = now;
  RELMAN_TRY(st, c.prepare("UPDATE rollouts SET deployment_id = ?, state = ?, rollback = ?, "
                           "reason = ?, finished_at = ?, updated_at = ? WHERE id = ?"));
  RELMAN_CHECK(st.bind(1, r.deployment_id)
                   .bind(2, r.state)
                   .bind(3, r.rollback)
                   .bind(4, r.reason)
                   .bind(5, r.finished_at)
                   .bind(6, now)
                   .bind(7, r.id)
                   .run());
  for (std::size_t i = 0; i < r.waves.size() && i < before.waves.size(); ++i) {
    const auto& a = before.waves[i];
    const auto& w = r.waves[i];
    if (a.state == w.state && a.started_at == w.started_at && a.finished_at == w.finished_at) {
      continue;
    }
    RELMAN_TRY(ws, c.prepare("UPDATE rollout_waves SET state = ?, started_at = ?, finished_at = "
                             "? WHERE rollout_id = ? AND wave_index = ?"));
    RELMAN_CHECK(ws.bind(1, w.state)
                     .bind(2, w.started_at)
                     .bind(3, w.finished_at)
                     .bind(4, r.id)
                     .bind(5, w.index)
                     .run());
  }
  RELMAN_CHECK(order_rollbacks(c, r, now));
  for (std::size_t i = 0; i < r.hosts.size() && i < before.hosts.size(); ++i) {
    if (!host_changed(before.hosts[i], r.hosts[i])) continue;
    RELMAN_CHECK(write_host(c, r, r.hosts[i], now));
  }
  return ok();
}
}  // namespace

Result<RolloutRecord> SqlStore::create_rollout(const RolloutRecord& draft, bool allow_downgrade,
                                               const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<RolloutRecord> {
    const auto now = unix_seconds();
    RolloutRecord r = draft;
    RELMAN_TRY(dep, insert_deployment(c, r, allow_downgrade, actor, now));
    r.deployment_id = dep;
    RELMAN_TRY(st, c.prepare("INSERT INTO rollouts(release_id, package_id, deployment_id, state, "
                             "failure_policy, deadline, request_json, created_by, created_at, "
                             "updated_at) VALUES(?, ?, ?, 'running', ?, ?, ?, ?, ?, ?) "
                             "RETURNING id"));
    st.bind(1, r.release_id)
        .bind(2, r.package_id)
        .bind(3, r.deployment_id)
        .bind(4, r.failure_policy)
        .bind(5, r.deadline)
        .bind(6, r.request_json)
        .bind(7, actor)
        .bind(8, now)
        .bind(9, now);
    RELMAN_CHECK(st.step());
    const std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(ws, c.prepare("INSERT INTO rollout_waves(rollout_id, wave_index, kind, state, "
                             "max_concurrent, min_succeeded, max_failed, earliest_start) "
                             "VALUES(?, ?, ?, 'waiting', ?, ?, ?, ?)"));
    for (const auto& w : r.waves) {
      ws.reset();
      RELMAN_CHECK(ws.bind(1, id)
                       .bind(2, w.index)
                       .bind(3, w.kind)
                       .bind(4, w.max_concurrent)
                       .bind(5, w.min_succeeded)
                       .bind(6, w.max_failed)
                       .bind(7, w.earliest_start)
                       .run());
    }
    RELMAN_TRY(hs, c.prepare("INSERT INTO rollout_hosts(rollout_id, wave_index, position, "
                             "host_id, tier, after_json, earliest_start, allowed_until, state) "
                             "VALUES(?, ?, ?, ?, ?, ?, ?, ?, 'waiting')"));
    for (const auto& h : r.hosts) {
      hs.reset();
      RELMAN_CHECK(hs.bind(1, id)
                       .bind(2, h.wave)
                       .bind(3, h.position)
                       .bind(4, h.host_id)
                       .bind(5, h.tier)
                       .bind(6, json(h.after).dump())
                       .bind(7, h.earliest_start)
                       .bind(8, h.allowed_until)
                       .run());
    }
    RELMAN_CHECK(store_sql::append_audit(c, actor, "rollout.create", "rollout", std::to_string(id),
                                         json{{"release_id", r.release_id},
                                              {"package_id", r.package_id},
                                              {"deployment_id", r.deployment_id},
                                              {"waves", r.waves.size()},
                                              {"hosts", r.hosts.size()}}
                                             .dump()));
    RELMAN_TRY(stored, load_rollout(c, id));
    if (!stored) return fail("store.query_failed", "the new rollout row is missing");
    return std::move(*stored);
  });
}

Result<std::optional<RolloutRecord>> SqlStore::get_rollout(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return load_rollout(c, id); });
}

Result<std::vector<RolloutRecord>> SqlStore::list_rollouts(std::optional<std::int64_t> release_id,
                                                           const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<RolloutRecord>> {
    std::string query = std::string("SELECT ") + kRolloutColumns + " FROM rollouts";
    if (release_id) query += " WHERE release_id = ?";
    query += " ORDER BY id DESC LIMIT ? OFFSET ?";
    RELMAN_TRY(st, c.prepare(query));
    int i = 1;
    if (release_id) st.bind(i++, *release_id);
    st.bind(i, store_sql::clamp_limit(page.limit)).bind(i + 1, page.offset);
    RELMAN_TRY(out, store_sql::collect<RolloutRecord>(st, read_rollout));
    for (auto& r : out) RELMAN_CHECK(load_parts(c, r));
    return std::move(out);
  });
}

Result<std::vector<std::int64_t>> SqlStore::active_rollouts() {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<std::int64_t>> {
    RELMAN_TRY(st, c.prepare("SELECT id FROM rollouts WHERE state IN ('running', 'paused') OR "
                             "id IN (SELECT rollout_id FROM rollout_hosts WHERE state = "
                             "'dispatched') ORDER BY id"));
    return store_sql::collect<std::int64_t>(st, [](const sql::Statement& s) { return s.int64(0); });
  });
}

Result<RolloutUpdate> SqlStore::update_rollout(std::int64_t id, const RolloutChange& change,
                                               const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<RolloutUpdate> {
    RELMAN_TRY(loaded, load_rollout(c, id));
    if (!loaded) return fail("rollout.not_found", "no rollout with this id", std::to_string(id));
    RolloutUpdate out;
    out.rollout = *loaded;
    RELMAN_TRY(events, change(out.rollout));
    out.events = std::move(events);
    for (const auto& h : out.rollout.hosts) {
      if (h.dispatch || h.order_rollback) out.dispatched.push_back(h.host_id);
    }
    const bool changed = !out.events.empty() || out.rollout.new_deployment;
    if (!changed) return out;
    const auto now = unix_seconds();
    RELMAN_CHECK(write_changes(c, *loaded, out.rollout, now));
    for (const auto& e : out.events) {
      RELMAN_CHECK(store_sql::append_audit(c, actor, e.action, "rollout", std::to_string(id),
                                           e.detail.dump()));
    }
    for (auto& h : out.rollout.hosts) {
      h.dispatch = false;
      h.cancel_target = false;
      h.order_rollback = false;
    }
    return out;
  });
}

}  // namespace relman::controller
