#include "controller/api/resources.hpp"

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
              {"uploaded_at", p.uploaded_at}};
}

json to_json(const ReleaseRecord& r) {
  return json{{"id", r.id},
              {"number", r.number},
              {"title", r.title},
              {"description", r.description},
              {"state", r.state},
              {"created_by", r.created_by},
              {"created_at", r.created_at},
              {"updated_at", r.updated_at}};
}

// How a finished target ended: succeeded, rolled_back (the host went back to the version it
// ran before: a failed hook after the switch, or an install interrupted by an agent restart)
// or failed (the host did not change). null while it runs.
namespace {
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
         {"updated_at", t.updated_at}};
  // Each phase lasts until the next one starts; the last one (a final phase, or the phase the
  // agent is in now) is open until the target finishes.
  json phases = json::array();
  for (std::size_t i = 0; i < t.phases.size(); ++i) {
    json p{{"phase", t.phases[i].phase}, {"started_at", t.phases[i].started_at}};
    if (i + 1 < t.phases.size()) {
      p["finished_at"] = t.phases[i + 1].started_at;
    } else if (t.finished_at != 0) {
      p["finished_at"] = t.finished_at;
    } else {
      p["finished_at"] = nullptr;
    }
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
