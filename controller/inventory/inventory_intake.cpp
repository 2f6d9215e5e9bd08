#include "controller/inventory/inventory_intake.hpp"

#include <spdlog/spdlog.h>

#include "controller/inventory/reconcile_plan.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;

std::string text_at(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The host's short OS line, as the host list shows it.
std::string os_line(const json& doc) {
  auto pretty = text_at(doc, "os_pretty");
  if (!pretty.empty()) return pretty;
  return text_at(doc, "os_id") + " " + text_at(doc, "os_version");
}

Result<protocol::Message> store_document(Store& store, const std::string& agent_id, const json& doc,
                                         const std::string& hash, const std::string& base_hash,
                                         inventory::ReconcilePlan plan, std::int64_t now) {
  InventoryUpdate update{text_at(doc, "hostname"), os_line(doc), doc.dump(), hash, base_hash,
                         std::move(plan)};
  RELMAN_CHECK(store.record_inventory(agent_id, update, now));
  return protocol::Message{protocol::InventoryAck{hash}};
}

protocol::Message ask_full_report(const std::string& agent_id, const Error& why) {
  spdlog::warn("agent {}: inventory delta not applied ({}); asking for a full report", agent_id,
               why.describe());
  return protocol::InventoryRequest{true, why.code};
}

}  // namespace

Result<protocol::Message> accept_inventory_report(Store& store, const std::string& agent_id,
                                                  const protocol::InventoryReport& report,
                                                  std::int64_t now,
                                                  const std::vector<std::string>& blacklist) {
  auto doc = protocol::inventory_document(report);
  RELMAN_TRY(hash, protocol::inventory_hash(doc));
  if (hash != report.hash) {
    return fail("inventory.hash_mismatch",
                "the report's content hashes to " + hash + ", not to the hash it names",
                report.hash);
  }
  auto plan = inventory::plan_full(agent_id, doc);
  plan.blacklist = blacklist;
  RELMAN_TRY(ack, store_document(store, agent_id, doc, hash, "", std::move(plan), now));
  spdlog::info("agent {}: inventory full report {}", agent_id, hash);
  return ack;
}

Result<protocol::Message> accept_inventory_delta(Store& store, const std::string& agent_id,
                                                 const protocol::InventoryDelta& delta,
                                                 std::int64_t now,
                                                 const std::vector<std::string>& blacklist) {
  RELMAN_TRY(host, store.get_host(agent_id));
  if (!host) return fail("host.not_found", "no host with this agent id", agent_id);
  if (host->inventory_hash.empty() || host->inventory_hash != delta.base_hash) {
    return ask_full_report(
        agent_id, Error{"inventory.base_mismatch",
                        "the delta builds on " + delta.base_hash + " but the stored report is " +
                            (host->inventory_hash.empty() ? "none" : host->inventory_hash),
                        ""});
  }
  auto base = json::parse(host->inventory_json, nullptr, false);
  auto applied = protocol::apply_inventory_changes(std::move(base), delta.changes);
  if (!applied) return ask_full_report(agent_id, applied.error());
  auto hash = protocol::inventory_hash(*applied);
  if (!hash || *hash != delta.hash) {
    return ask_full_report(
        agent_id, Error{"inventory.hash_mismatch",
                        "the delta applied to the stored report does not give " + delta.hash, ""});
  }
  auto plan = inventory::plan_delta(agent_id, delta.changes, *applied);
  plan.blacklist = blacklist;
  auto stored =
      store_document(store, agent_id, *applied, *hash, delta.base_hash, std::move(plan), now);
  if (!stored && stored.error().code == "inventory.base_mismatch") {
    return ask_full_report(agent_id, stored.error());  // another connection stored one meanwhile
  }
  if (stored) {
    spdlog::info("agent {}: inventory delta {} -> {} ({} changes)", agent_id, delta.base_hash,
                 delta.hash, delta.changes.entry_count());
  }
  return stored;
}

}  // namespace relman::controller
