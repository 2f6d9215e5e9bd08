#include "controller/api/resources.hpp"

#include <algorithm>

#include "controller/releases/release_codec.hpp"

namespace relman::controller {
using nlohmann::json;

json to_json(const PackageRecord& p) {
  return json{{"id", p.id},
              {"name", p.name},
              {"version", p.version},
              {"platform", p.platform},
              {"payload_kind", p.payload_kind},
              {"description", p.description},
              {"sha256", p.sha256},
              {"manifest_sha256", p.manifest_sha256},
              {"size", p.size},
              {"file_count", p.file_count},
              {"signer_key_ids", p.signer_key_ids},
              {"status", p.status},
              {"uploaded_by", p.uploaded_by},
              {"uploaded_at", p.uploaded_at},
              {"status_changed_by", p.status_changed_by},
              {"status_changed_at", p.status_changed_at},
              {"status_reason", p.status_reason}};
}

json to_json(const ReleaseRecord& r) {
  // Descriptive fields, then the lifecycle's (its "approval" adds votes and the outcome), then
  // the server's own. "version" is the optimistic lock, "release_version" the release's label.
  json j = to_json(r.fields);
  j.update(lifecycle_to_json(r.lifecycle));
  j["id"] = r.id;
  j["number"] = r.number;
  j["priority"] = r.priority;
  j["created_by"] = r.created_by;
  j["created_at"] = r.created_at;
  j["updated_at"] = r.updated_at;
  return j;
}

// How a finished target ended: succeeded, rolled_back (the host went back to the version it
// ran before: a failed hook after the switch, or an install interrupted by an agent restart)
// or failed (the host did not change). null while it runs.
namespace {
// Seconds from start to end; null while either is unknown (0).
json duration(std::int64_t start, std::int64_t end) {
  if (start == 0 || end == 0) return nullptr;
  return std::max<std::int64_t>(0, end - start);
}

// The deployment as a whole: hosts per status and per phase, bytes over all targets, when the
// first host started and the last one finished (0 while any host has not).
json deployment_progress(const DeploymentRecord& d) {
  json by_status{{"pending", 0}, {"sent", 0}, {"in_progress", 0}, {"succeeded", 0}, {"failed", 0}};
  json by_phase = json::object();
  std::int64_t bytes_done = 0, bytes_total = 0, started = 0, finished = 0;
  bool all_finished = !d.targets.empty();
  for (const auto& t : d.targets) {
    by_status[t.status] = by_status.value(t.status, 0) + 1;
    if (!t.phase.empty()) by_phase[t.phase] = by_phase.value(t.phase, 0) + 1;
    bytes_done += t.bytes_done;
    bytes_total += t.bytes_total;
    if (t.started_at != 0 && (started == 0 || t.started_at < started)) started = t.started_at;
    if (t.finished_at == 0) all_finished = false;
    finished = std::max(finished, t.finished_at);
  }
  if (!all_finished) finished = 0;
  return json{{"hosts", d.targets.size()},  {"by_status", by_status},
              {"by_phase", by_phase},       {"bytes_done", bytes_done},
              {"bytes_total", bytes_total}, {"started_at", started},
              {"finished_at", finished},    {"duration_seconds", duration(started, finished)}};
}

json target_outcome(const TargetRecord& t) {
  if (t.status == "succeeded") return "succeeded";
  if (t.status != "failed") return nullptr;
  return t.phase == "rolled_back" ? "rolled_back" : "failed";
}
}  // namespace

json to_json(const TargetRecord& t) {
  json j{{"host", t.host_id},
         {"status", t.status},
         {"phase", t.phase},
         {"bytes_done", t.bytes_done},
         {"bytes_total", t.bytes_total},
         {"order_id", t.order_id},
         {"installed_version", t.installed_version},
         {"outcome", target_outcome(t)},
         {"output", t.output},
         {"sent_at", t.sent_at},
         {"started_at", t.started_at},
         {"finished_at", t.finished_at},
         {"duration_seconds", duration(t.started_at, t.finished_at)},
         {"updated_at", t.updated_at}};
  // Each phase lasts until the next one starts; the last one (a final phase, or the phase the
  // agent is in now) is open until the target finishes.
  json phases = json::array();
  for (std::size_t i = 0; i < t.phases.size(); ++i) {
    json p{{"phase", t.phases[i].phase}, {"started_at", t.phases[i].started_at}};
    std::int64_t end = 0;
    if (i + 1 < t.phases.size()) {
      end = t.phases[i + 1].started_at;
    } else if (t.finished_at != 0) {
      end = t.finished_at;
    }
    p["finished_at"] = end != 0 ? json(end) : json(nullptr);
    p["duration_seconds"] = duration(t.phases[i].started_at, end);
    phases.push_back(std::move(p));
  }
  j["phases"] = std::move(phases);
  if (!t.error_code.empty()) {
    j["error"] = json{{"code", t.error_code}, {"message", t.message}};
  } else {
    j["error"] = nullptr;
  }
  return j;
}

json to_json(const DeploymentRecord& d) {
  json targets = json::array();
  for (const auto& t : d.targets) targets.push_back(to_json(t));
  return json{{"id", d.id},
              {"release_id", d.release_id},
              {"package_id", d.package_id},
              {"package", d.package_name},
              {"version", d.package_version},
              {"status", d.status()},
              {"created_by", d.created_by},
              {"created_at", d.created_at},
              {"expires_at", d.expires_at},
              {"allow_downgrade", d.allow_downgrade},
              {"action", d.action},
              {"rollback_of", d.rollback_of == 0 ? json(nullptr) : json(d.rollback_of)},
              {"progress", deployment_progress(d)},
              {"targets", targets}};
}

json to_json(const HostRecord& h, std::int64_t stale_before, bool with_inventory) {
  json j{{"agent_id", h.agent_id},
         {"hostname", h.hostname},
         {"os", h.os},
         {"connected", h.connected},
         {"first_seen", h.first_seen},
         {"last_seen", h.last_seen},
         {"stale", h.is_stale(stale_before)},
         {"inventory_hash", h.inventory_hash},
         {"inventory_at", h.inventory_at}};
  if (with_inventory) {
    auto inv = json::parse(h.inventory_json, nullptr, false);
    j["inventory"] = inv.is_object() ? inv : json::object();
  }
  return j;
}

json to_json(const AuditEntry& e) {
  auto detail = json::parse(e.detail_json, nullptr, false);
  return json{{"id", e.id},
              {"at", e.at},
              {"actor", e.actor},
              {"action", e.action},
              {"object_type", e.object_type},
              {"object_id", e.object_id},
              {"detail", detail.is_discarded() ? json(e.detail_json) : detail}};
}

}  // namespace relman::controller
