#include "controller/rollout/rollout_record.hpp"

namespace relman::controller::rollout {
namespace {
using nlohmann::json;

json host_json(const RolloutHost& h) {
  json j = {{"id", h.host_id},
            {"state", h.state},
            {"tier", h.tier},
            {"after", h.after},
            {"earliest_start", h.earliest_start},
            {"allowed_until", h.allowed_until},
            {"attempts", h.attempts},
            {"target_id", h.target_id == 0 ? json(nullptr) : json(h.target_id)},
            {"target_status", h.target_status.empty() ? json(nullptr) : json(h.target_status)},
            {"dispatched_at", h.dispatched_at},
            {"finished_at", h.finished_at},
            {"error", nullptr}};
  if (!h.error_code.empty()) j["error"] = {{"code", h.error_code}, {"message", h.message}};
  j["rollback"] = nullptr;
  if (h.rollback_target_id != 0) {
    j["rollback"] = {
        {"target_id", h.rollback_target_id}, {"status", h.rollback_status}, {"error", nullptr}};
    if (!h.rollback_error_code.empty()) {
      j["rollback"]["error"] = {{"code", h.rollback_error_code}, {"message", h.rollback_message}};
    }
  }
  return j;
}
}  // namespace

json to_json(const RolloutRecord& r) {
  json counts = json::object();
  json waves = json::array();
  for (const auto& w : r.waves) {
    json wave_counts = json::object();
    json hosts = json::array();
    for (const auto& h : r.hosts) {
      if (h.wave != w.index) continue;
      hosts.push_back(host_json(h));
      wave_counts[h.state] = wave_counts.value(h.state, 0) + 1;
      counts[h.state] = counts.value(h.state, 0) + 1;
    }
    waves.push_back({{"index", w.index},
                     {"kind", w.kind},
                     {"state", w.state},
                     {"max_concurrent", w.max_concurrent},
                     {"min_succeeded", w.min_succeeded},
                     {"max_failed", w.max_failed},
                     {"earliest_start", w.earliest_start},
                     {"started_at", w.started_at},
                     {"finished_at", w.finished_at},
                     {"counts", std::move(wave_counts)},
                     {"hosts", std::move(hosts)}});
  }
  auto request = json::parse(r.request_json, nullptr, false);
  return {{"id", r.id},
          {"release_id", r.release_id},
          {"package_id", r.package_id},
          {"deployment_id", r.deployment_id},
          {"state", r.state},
          {"failure_policy", r.failure_policy},
          {"rollback", r.rollback.empty() ? json(nullptr) : json(r.rollback)},
          {"reason", r.reason},
          {"deadline", r.deadline},
          {"created_by", r.created_by},
          {"created_at", r.created_at},
          {"finished_at", r.finished_at},
          {"updated_at", r.updated_at},
          {"counts", std::move(counts)},
          {"waves", std::move(waves)},
          {"request", request.is_discarded() ? json(nullptr) : std::move(request)}};
}

}  // namespace relman::controller::rollout
