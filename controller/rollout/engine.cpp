#include "controller/rollout/engine.hpp"

#include <algorithm>
#include <map>

namespace relman::controller::rollout {
namespace {
using nlohmann::json;

RolloutEvent host_event(const std::string& action, const RolloutHost& h) {
  json d = {{"host", h.host_id}, {"wave", h.wave}};
  if (!h.error_code.empty()) d["error"] = {{"code", h.error_code}, {"message", h.message}};
  if (h.target_id != 0) d["target_id"] = h.target_id;
  return {action, std::move(d)};
}

void finish_host(RolloutHost& h, const std::string& state, const std::string& code,
                 const std::string& message, std::int64_t now) {
  h.state = state;
  h.error_code = code;
  h.message = message;
  h.finished_at = now;
}

bool allowed_now(const Schedule& schedule, const GroupsOf& groups, const std::string& host,
                 std::int64_t now) {
  auto g = groups(host);
  return schedule.allowed_at(HostRef{host, g}, now);
}

// Marks hosts whose install succeeded for a rollback order (the store creates it in the same
// transaction, in a rollback deployment of the host's target's deployment).
void order_rollbacks(const std::vector<RolloutHost*>& hosts, std::vector<RolloutEvent>& events) {
  json ids = json::array();
  for (auto* h : hosts) {
    if (h->state != "succeeded" || h->rollback_target_id != 0 || h->order_rollback) continue;
    h->order_rollback = true;
    ids.push_back(h->host_id);
  }
  if (ids.empty()) return;
  events.push_back({"rollout.rollback_ordered", {{"hosts", std::move(ids)}}});
}

// Results of finished targets, and orders that can no longer be delivered.
void sync_hosts(RolloutRecord& r, const Schedule& schedule, const GroupsOf& groups,
                std::int64_t now, std::vector<RolloutEvent>& events) {
  for (auto& h : r.hosts) {
    if (h.state != "dispatched" || h.dispatch) continue;
    if (h.target_status == "succeeded") {
      finish_host(h, "succeeded", "", "", now);
      events.push_back(host_event("rollout.host_succeeded", h));
      // An install that finished after the rollout decided to roll back goes back too.
      if (r.rollback == "ordered") order_rollbacks({&h}, events);
    } else if (h.target_status == "failed") {
      finish_host(h, "failed", h.target_error_code, h.target_message, now);
      events.push_back(host_event("rollout.host_failed", h));
    } else if (h.target_status == "pending") {
      if (now >= r.deadline) {
        finish_host(h, "failed", "rollout.deadline_passed",
                    "the host was not reachable before the rollout's deadline", now);
      } else if (!allowed_now(schedule, groups, h.host_id, now)) {
        finish_host(h, "failed", "rollout.window_closed",
                    "the host was not reachable before its window closed", now);
      } else {
        continue;
      }
      h.cancel_target = true;
      events.push_back(host_event("rollout.host_failed", h));
    }
  }
}

bool is_stopped(const RolloutHost& h) { return h.state == "failed" || h.state == "skipped"; }

// Ends the rollout: later hosts are skipped and orders not sent yet are cancelled.
void stop_rollout(RolloutRecord& r, const std::string& state, const std::string& code,
                  const std::string& reason, std::int64_t now, std::vector<RolloutEvent>& events) {
  for (auto& h : r.hosts) {
    if (h.state == "waiting") {
      finish_host(h, "skipped", code, reason, now);
    } else if (h.state == "dispatched" && h.target_status == "pending") {
      finish_host(h, "skipped", code, reason, now);
      h.cancel_target = true;
    }
  }
  for (auto& w : r.waves) {
    if (w.state == "waiting") w.state = "skipped";
    if (w.state == "running") w.state = "failed";
    if (w.state == "skipped" || w.state == "failed")
      w.finished_at = w.finished_at ? w.finished_at : now;
  }
  r.state = state;
  r.reason = reason;
  r.finished_at = now;
  events.push_back({"rollout." + state, {{"code", code}, {"reason", reason}}});
}

void fail_wave(RolloutRecord& r, RolloutWave& w, const std::string& reason, std::int64_t now,
               std::vector<RolloutEvent>& events) {
  w.state = "failed";
  w.finished_at = now;
  events.push_back({"rollout.wave_failed", {{"wave", w.index}, {"reason", reason}}});
  stop_rollout(r, "failed", "rollout.wave_failed", reason, now, events);
  if (r.failure_policy == "stop_and_rollback") {
    r.rollback = "ordered";
    std::vector<RolloutHost*> changed;
    for (auto& h : r.hosts) changed.push_back(&h);
    order_rollbacks(changed, events);
  }
}

struct Counts {
  std::int64_t succeeded = 0, failed = 0, open = 0, waiting = 0;
};

}  // namespace

bool is_finished_state(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "aborted";
}

std::vector<RolloutEvent> step(RolloutRecord& r, const Schedule& schedule, const GroupsOf& groups,
                               std::int64_t now) {
  std::vector<RolloutEvent> events;
  sync_hosts(r, schedule, groups, now, events);
  if (r.state != "running") return events;
  if (r.package_status == "revoked") {
    stop_rollout(r, "failed", "package.revoked",
                 "the package version was revoked; no further host gets it", now, events);
    return events;
  }
  std::map<std::string, const RolloutHost*> by_id;
  for (const auto& h : r.hosts) by_id[h.host_id] = &h;
  for (auto& w : r.waves) {
    if (w.state == "succeeded") continue;
    if (w.state != "waiting" && w.state != "running") return events;  // not for a running one
    if (w.state == "waiting") {
      w.state = "running";
      w.started_at = now;
      events.push_back({"rollout.wave_started", {{"wave", w.index}, {"kind", w.kind}}});
    }
    Counts c;
    for (auto& h : r.hosts) {
      if (h.wave != w.index) continue;
      if (h.state == "waiting") {
        for (const auto& dep : h.after) {
          auto it = by_id.find(dep);
          if (it != by_id.end() && is_stopped(*it->second)) {
            finish_host(h, "failed", "rollout.dependency_failed",
                        "host " + dep + ", which it depends on, did not succeed", now);
            events.push_back(host_event("rollout.host_failed", h));
            break;
          }
        }
      }
      if (h.state == "succeeded") ++c.succeeded;
      if (is_stopped(h)) ++c.failed;
      if (h.state == "dispatched") ++c.open;
      if (h.state == "waiting") ++c.waiting;
    }
    if (c.failed > w.max_failed) {
      fail_wave(r, w,
                std::to_string(c.failed) + " host(s) failed in wave " + std::to_string(w.index) +
                    ", which allows " + std::to_string(w.max_failed),
                now, events);
      return events;
    }
    if (c.waiting == 0 && c.open == 0) {
      if (c.succeeded < w.min_succeeded) {
        fail_wave(r, w,
                  std::to_string(c.succeeded) + " host(s) succeeded in wave " +
                      std::to_string(w.index) + ", which needs " + std::to_string(w.min_succeeded),
                  now, events);
        return events;
      }
      w.state = "succeeded";
      w.finished_at = now;
      events.push_back({"rollout.wave_succeeded", {{"wave", w.index}}});
      continue;
    }
    std::int64_t slots = w.max_concurrent - c.open;
    for (auto& h : r.hosts) {
      if (slots <= 0) break;
      if (h.wave != w.index || h.state != "waiting") continue;
      if (now >= r.deadline) {
        finish_host(h, "failed", "rollout.deadline_passed",
                    "the rollout's deadline passed before the host's turn", now);
        events.push_back(host_event("rollout.host_failed", h));
        continue;
      }
      bool deps_done = true;
      for (const auto& dep : h.after) {
        auto it = by_id.find(dep);
        if (it != by_id.end() && it->second->state != "succeeded") deps_done = false;
      }
      if (!deps_done || now < h.earliest_start) continue;
      if (!allowed_now(schedule, groups, h.host_id, now)) continue;
      h.state = "dispatched";
      h.dispatch = true;
      h.target_status = "pending";
      h.error_code.clear();
      h.message.clear();
      h.attempts += 1;
      h.dispatched_at = now;
      h.finished_at = 0;
      --slots;
      events.push_back(host_event("rollout.host_dispatched", h));
    }
    return events;
  }
  r.state = "succeeded";
  r.finished_at = now;
  events.push_back({"rollout.succeeded", json::object()});
  return events;
}

std::vector<std::string> allowed_actions(const std::string& state) {
  if (state == "running") return {"pause", "abort"};
  if (state == "paused") return {"resume", "abort"};
  if (state == "failed") return {"retry-failed"};
  return {};
}

namespace {
Result<void> check_allowed(const RolloutRecord& r, const std::string& action) {
  auto allowed = allowed_actions(r.state);
  if (std::find(allowed.begin(), allowed.end(), action) != allowed.end()) return ok();
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ",") + a;
  return fail("rollout.illegal_transition",
              "a " + r.state + " rollout cannot " + action +
                  (list.empty() ? std::string(" (it has finished)") : "; allowed now: " + list),
              list);
}
}  // namespace

Result<std::vector<RolloutEvent>> pause(RolloutRecord& r, std::int64_t) {
  RELMAN_CHECK(check_allowed(r, "pause"));
  r.state = "paused";
  return std::vector<RolloutEvent>{{"rollout.paused", json::object()}};
}

Result<std::vector<RolloutEvent>> resume(RolloutRecord& r, std::int64_t) {
  RELMAN_CHECK(check_allowed(r, "resume"));
  r.state = "running";
  return std::vector<RolloutEvent>{{"rollout.resumed", json::object()}};
}

Result<std::vector<RolloutEvent>> abort(RolloutRecord& r, std::int64_t now) {
  RELMAN_CHECK(check_allowed(r, "abort"));
  std::vector<RolloutEvent> events;
  stop_rollout(r, "aborted", "rollout.aborted", "the rollout was aborted", now, events);
  return events;
}

Result<std::vector<RolloutEvent>> retry_failed(RolloutRecord& r, std::int64_t) {
  RELMAN_CHECK(check_allowed(r, "retry-failed"));
  json hosts = json::array();
  for (auto& h : r.hosts) {
    // Hosts the rollout rolled back run the old version again: they are retried too.
    if (!is_stopped(h) && h.rollback_target_id == 0) continue;
    hosts.push_back(h.host_id);
    h.state = "waiting";
    h.error_code.clear();
    h.message.clear();
    h.finished_at = 0;
    h.rollback_target_id = 0;
    h.rollback_status.clear();
    h.rollback_error_code.clear();
    h.rollback_message.clear();
  }
  for (auto& w : r.waves) {
    const bool again = std::any_of(r.hosts.begin(), r.hosts.end(), [&](const RolloutHost& h) {
      return h.wave == w.index && h.state == "waiting";
    });
    if (again) {
      w.state = "waiting";
      w.finished_at = 0;
    }
  }
  r.state = "running";
  r.reason.clear();
  r.rollback.clear();
  r.finished_at = 0;
  r.new_deployment = true;
  return std::vector<RolloutEvent>{{"rollout.retry_failed", {{"hosts", hosts}}}};
}

}  // namespace relman::controller::rollout
