#include "controller/inventory/inventory_intake.hpp"

#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "controller/inventory/reconcile_plan.hpp"
#include "controller/inventory/stored_inventory.hpp"

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

// Whether every software item `changes` adds or changes makes a package (has a name).
bool each_makes_a_package(const protocol::InventoryChanges& changes) {
  for (const auto& items : changes.items) {
    auto manager = inventory::software_manager(items.path);
    if (!manager) continue;
    for (const auto* list : {&items.added, &items.changed}) {
      for (const auto& item : *list) {
        if (!inventory::software_item(*manager, item)) return false;
      }
    }
  }
  return true;
}

protocol::Message ask_full_report(const std::string& agent_id, const Error& why) {
  spdlog::warn("agent {}: inventory delta not applied ({}); asking for a full report", agent_id,
               why.describe());
  return protocol::InventoryRequest{true, why.code};
}

// The update that stores `state` (its skeleton's canonical text is `skeleton`).
InventoryUpdate update_of(const inventory::StoredInventory& state, inventory::SkeletonText skeleton,
                          std::string hash, std::string base_hash, inventory::ReconcilePlan plan) {
  InventoryUpdate update;
  update.hostname = text_at(state.skeleton, "hostname");
  update.os = os_line(state.skeleton);
  update.document_json = std::move(skeleton.text);
  update.hash = std::move(hash);
  update.base_hash = std::move(base_hash);
  update.plan = std::move(plan);
  update.whole_collections = state.whole;
  return update;
}

}  // namespace

Result<protocol::Message> accept_inventory_report(Store& store, const std::string& agent_id,
                                                  protocol::InventoryReport report,
                                                  std::int64_t now,
                                                  const std::vector<std::string>& blacklist) {
  const std::string named = std::move(report.hash);
  auto doc = protocol::decoded_inventory_document(std::move(report));
  // What inventory::plan_full plans, with each package's line taken as the split makes it.
  inventory::ReconcilePlan plan;
  plan.software_full = true;
  plan.hardware = true;
  plan.hardware_items = inventory::hardware_in(agent_id, doc);  // before the collections move out
  plan.blacklist = blacklist;
  bool rows = true;  // every software item makes a package: the installed rows can keep them
  RELMAN_TRY(state, inventory::split_inventory(
                        std::move(doc), [&](std::string_view path, const json& item,
                                            const std::string& key, const std::string& text) {
                          auto manager = inventory::software_manager(path);
                          if (!manager) return;
                          auto package = inventory::software_item(*manager, item);
                          if (!package) {
                            rows = false;
                            return;
                          }
                          plan.software.push_back(std::move(*package));
                          plan.software_lines.push_back(key + '\t' + text);
                        }));
  RELMAN_TRY(skeleton, inventory::skeleton_text(state.skeleton));
  std::string hash = skeleton.hash;
  if (hash != named) {
    // An agent from before the collection digests names a report by its whole document (the
    // document assembled again is the normalized one it hashed).
    auto legacy = protocol::legacy_inventory_hash(
        inventory::assemble_inventory(state.skeleton, state.collections));
    if (!legacy || *legacy != named) {
      return fail("inventory.hash_mismatch",
                  "the report's content hashes to " + hash + ", not to the hash it names", named);
    }
    hash = named;
  }
  auto update = update_of(state, std::move(skeleton), hash, "", std::move(plan));
  update.collections = std::move(state.collections);
  update.software_rows = rows;
  RELMAN_CHECK(store.record_inventory(agent_id, update, now));
  spdlog::info("agent {}: inventory full report {}", agent_id, hash);
  return protocol::Message{protocol::InventoryAck{hash}};
}

namespace {
// One delta's job for Store::update_inventories; `refused` gets why it was not applied.
Store::InventoryJob delta_job(const DeltaToApply& in, const std::vector<std::string>& blacklist,
                              std::optional<Error>& refused) {
  const auto& delta = *in.delta;
  const std::string& agent_id = in.agent_id;
  const bool hardware = inventory::touches_hardware(delta.changes);
  Store::InventoryJob job;
  job.agent_id = agent_id;
  job.parts = inventory::collections_needed(delta.changes, hardware);
  const bool whole = !job.parts.has_value();
  // Runs inside the store's transaction; a refusal stores nothing and asks for a full report.
  job.apply =
      [&delta, &agent_id, &blacklist, &refused, hardware, whole](
          std::optional<StoredInventoryRecord> stored) -> Result<std::optional<InventoryUpdate>> {
    refused.reset();  // the transaction may run again
    auto refuse = [&](Error why) {
      refused = std::move(why);
      return std::optional<InventoryUpdate>();
    };
    if (!stored) return fail("host.not_found", "no host with this agent id", agent_id);
    if (stored->hash.empty() || stored->hash != delta.base_hash) {
      return refuse(Error{"inventory.base_mismatch",
                          "the delta builds on " + delta.base_hash + " but the stored report is " +
                              (stored->hash.empty() ? "none" : stored->hash),
                          ""});
    }
    // A host whose software items are in its installed rows keeps there only items that make a
    // package of their own (the store refuses one that shares a package with another).
    if (stored->software_rows && !each_makes_a_package(delta.changes)) {
      return refuse(Error{
          "inventory.delta_invalid",
          "a software item whose name is missing or not text cannot be kept in an installed row",
          ""});
    }
    inventory::StoredInventory state;
    state.skeleton = json::parse(stored->skeleton_json, nullptr, false);
    state.collections = std::move(stored->collections);
    state.whole = whole;
    if (!state.skeleton.is_object()) {
      return refuse(Error{"inventory.delta_invalid", "the stored report is not a JSON object", ""});
    }
    auto applied = inventory::apply_delta(state, delta.changes);
    if (!applied) return refuse(applied.error());
    auto skeleton = inventory::skeleton_text(state.skeleton);
    if (!skeleton || skeleton->hash != delta.hash) {
      return refuse(Error{"inventory.hash_mismatch",
                          "the delta applied to the stored report does not give " + delta.hash,
                          ""});
    }
    // The plan reads the document only for hardware or a replaced software list.
    auto doc = state.whole || hardware
                   ? inventory::assemble_inventory(state.skeleton, state.collections)
                   : json::object();
    auto plan = inventory::plan_delta(agent_id, delta.changes, doc);
    plan.blacklist = blacklist;
    // A replaced software list goes to parts (its plan has no lines); the next full report
    // moves it back.
    const bool rows = stored->software_rows && !(state.whole && plan.software_full);
    auto update =
        update_of(state, std::move(*skeleton), delta.hash, delta.base_hash, std::move(plan));
    update.software_rows = rows;
    if (state.whole) {
      update.collections = std::move(state.collections);
    } else {
      std::set<std::string> changed;
      for (const auto& items : delta.changes.items) changed.insert(items.path);
      for (auto& [part, lines] : state.collections) {
        if (changed.contains(part.first)) update.collections.emplace(part, std::move(lines));
      }
    }
    return std::optional<InventoryUpdate>(std::move(update));
  };
  return job;
}
}  // namespace

std::vector<Result<protocol::Message>> accept_inventory_deltas(
    Store& store, const std::vector<DeltaToApply>& deltas, std::int64_t now,
    const std::vector<std::string>& blacklist) {
  std::vector<std::optional<Error>> refused(deltas.size());
  std::vector<Store::InventoryJob> jobs;
  jobs.reserve(deltas.size());
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    jobs.push_back(delta_job(deltas[i], blacklist, refused[i]));
  }
  store.update_inventories(jobs, now);
  std::vector<Result<protocol::Message>> answers;
  answers.reserve(deltas.size());
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    const auto& agent_id = deltas[i].agent_id;
    const auto& delta = *deltas[i].delta;
    auto& stored = jobs[i].result;
    // The store refuses a delta it cannot keep (an item sharing another's installed row): the
    // full report is stored another way.
    if (!stored && (stored.error().code == "inventory.base_mismatch" ||
                    stored.error().code == "inventory.delta_invalid")) {
      answers.emplace_back(ask_full_report(agent_id, stored.error()));
    } else if (!stored) {
      answers.emplace_back(fail(std::move(stored.error())));
    } else if (refused[i]) {
      answers.emplace_back(ask_full_report(agent_id, *refused[i]));
    } else {
      spdlog::info("agent {}: inventory delta {} -> {} ({} changes)", agent_id, delta.base_hash,
                   delta.hash, delta.changes.entry_count());
      answers.emplace_back(protocol::Message{protocol::InventoryAck{delta.hash}});
    }
  }
  return answers;
}

Result<protocol::Message> accept_inventory_delta(Store& store, const std::string& agent_id,
                                                 const protocol::InventoryDelta& delta,
                                                 std::int64_t now,
                                                 const std::vector<std::string>& blacklist) {
  auto answers = accept_inventory_deltas(store, {DeltaToApply{agent_id, &delta}}, now, blacklist);
  return std::move(answers.front());
}

}  // namespace relman::controller
