#include "controller/api/resources.hpp"

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
              {"uploaded_at", p.uploaded_at}};
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

json to_json(const TargetRecord& t) {
  json j{{"host", t.host_id},
         {"status", t.status},
         {"phase", t.phase},
         {"bytes_done", t.bytes_done},
         {"bytes_total", t.bytes_total},
         {"order_id", t.order_id},
         {"installed_version", t.installed_version},
         {"sent_at", t.sent_at},
         {"finished_at", t.finished_at},
         {"updated_at", t.updated_at}};
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
