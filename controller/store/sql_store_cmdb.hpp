// What the CMDB's SqlStore files share (sql_store_cmdb*.cpp, and sql_store_hosts.cpp for the
// host CIs of agents). Functions run inside the caller's transaction.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controller/cmdb/ci.hpp"
#include "controller/inventory/reconcile_plan.hpp"
#include "controller/store/sql/connection.hpp"

namespace relman::controller::store_sql {

Result<std::optional<cmdb::CiRecord>> load_ci(sql::Connection& c, std::int64_t id);
// cmdb.ci_not_found when there is none.
Result<cmdb::CiRecord> require_ci(sql::Connection& c, std::int64_t id);
Result<std::optional<cmdb::CiRecord>> load_ci_by_source(sql::Connection& c,
                                                        const std::string& source_key);
// Built-in or user-defined.
Result<std::optional<cmdb::CiClass>> load_class(sql::Connection& c, const std::string& name);

// Inserts version 1 of a CI (already validated) with its version row and audit entry.
Result<cmdb::CiRecord> insert_ci(sql::Connection& c, const std::string& class_name,
                                 const cmdb::CiState& s, const std::string& source_key,
                                 const std::string& change, const std::string& actor);
// Stores `next` (already validated) as the CI's next version, with its version row and audit
// entry; cmdb.version_conflict when the row moved past `current.version`. The audit detail
// names the `change` (update, restore, agent, promote) and, when given, its `cause` (e.g.
// the release whose closure promoted the CI).
Result<cmdb::CiRecord> write_ci_version(sql::Connection& c, const cmdb::CiRecord& current,
                                        const cmdb::CiState& next, const std::string& change,
                                        std::int64_t restored_from, const std::string& actor,
                                        const nlohmann::json& cause = nullptr);

// The host CI of an agent (source key "agent:<id>"): created on first sight in stage
// production, then kept in step with what the agent reports (hostname, os). A report that
// changes nothing adds no version. Empty hostname/os leave those attributes as they are.
// Returns the host CI's id.
Result<std::int64_t> upsert_host_ci(sql::Connection& c, const std::string& agent_id,
                                    const std::string& hostname, const std::string& os);

// SQL condition: CI `alias` is the host CI of an agent (source key "agent:<id>"). On SQLite a
// range of the source_key index, so a query can walk the host CIs and probe
// inventory_installed's (host, software) key for each; on PostgreSQL, whose text collation need
// not order by bytes, a LIKE (its plans reach inventory_installed by its software index).
std::string agent_host_ci(const sql::Connection& c, const std::string& alias);

// The software CI of each package (manager, name, architecture, version) the store has seen, in
// memory: a software CI is never deleted, so once committed the mapping never changes and a
// report's 1,500 packages need no lookups. Reconciliation reads it and collects what it learns
// (CIs it found or created); the store adds those after the transaction committed, so a rolled
// back CI is never cached. Thread-safe; at most kMaxEntries (then it stops growing).
class SoftwareIdCache {
 public:
  static constexpr std::size_t kMaxEntries = 1'000'000;
  using Learned = std::vector<std::pair<std::string, std::int64_t>>;

  // ids[i] = the cached id of keys[i], or 0.
  void lookup(const std::vector<std::string>& keys, std::vector<std::int64_t>& ids) const;
  void add(const Learned& learned);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

// Applies an accepted report's plan to the CMDB for `host_ci_id`, the host CI of `agent_id`
// (upsert_host_ci's answer): software CIs installed_on it, hardware CIs part_of it (those that left
// go to stage in_store), and one inventory_changes row per change naming `report_hash`
// (sql_store_inventory). Software CI ids come from `cache` where it has them; `learned` gets the
// others. With `software_rows` each installed row it writes keeps its package's line (the plan's
// software_lines; migration 26); a full plan whose items do not map one to one onto software
// CIs sets it false (the items then stay in parts). Errors: inventory.delta_invalid when a
// delta's item would share its row with another item of the host.
Result<void> reconcile_inventory(sql::Connection& c, std::int64_t host_ci_id,
                                 const std::string& agent_id, const inventory::ReconcilePlan& plan,
                                 const std::string& report_hash, std::int64_t now,
                                 const SoftwareIdCache& cache, SoftwareIdCache::Learned& learned,
                                 bool& software_rows);

}  // namespace relman::controller::store_sql
