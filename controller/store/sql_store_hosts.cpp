// SqlStore: hosts (agents), their connection state and last inventory report.
#include "controller/store/sql_store.hpp"

#include <nlohmann/json.hpp>

#include "controller/inventory/reconcile_plan.hpp"
#include "controller/inventory/stored_inventory.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {
namespace {
constexpr const char* kHostColumns =
    "agent_id, hostname, os, connected, first_seen, last_seen, inventory_json, inventory_hash, "
    "inventory_at";
HostRecord read_host(const sql::Statement& st) {
  return HostRecord{st.text(0),  st.text(1), st.text(2), st.int64(3) != 0, st.int64(4),
                    st.int64(5), st.text(6), st.text(7), st.int64(8)};
}

// Whether `path` is a software list, whose items a host may keep in its installed rows.
bool software_path(const std::string& path) {
  return inventory::software_manager(path).has_value();
}

// A host's stored collection parts, or only those in `parts`; with `rows`, none of the software
// lists (its items are in its installed rows).
Result<inventory::Parts> read_collections(sql::Connection& c, const std::string& agent_id,
                                          const std::optional<std::set<inventory::Part>>& parts,
                                          bool rows) {
  inventory::Parts out;
  if (!parts) {
    RELMAN_TRY(st, c.prepare("SELECT path, bucket, items FROM inventory_collections WHERE "
                             "agent_id = ?"));
    st.bind(1, agent_id);
    for (;;) {
      RELMAN_TRY(row, st.step());
      if (!row) break;
      auto path = st.text(0);
      if (rows && software_path(path)) continue;
      out.emplace(inventory::Part{std::move(path), static_cast<int>(st.int64(1))}, st.text(2));
    }
    return out;
  }
  RELMAN_TRY(one, c.prepare("SELECT items FROM inventory_collections WHERE agent_id = ? AND "
                            "path = ? AND bucket = ?"));
  RELMAN_TRY(all, c.prepare("SELECT bucket, items FROM inventory_collections WHERE "
                            "agent_id = ? AND path = ?"));
  for (const auto& [path, bucket] : *parts) {
    if (rows && software_path(path)) continue;
    if (bucket == inventory::kAllBuckets) {
      all.reset();
      all.bind(1, agent_id).bind(2, path);
      for (;;) {
        RELMAN_TRY(row, all.step());
        if (!row) break;
        out.emplace(inventory::Part{path, static_cast<int>(all.int64(0))}, all.text(1));
      }
      continue;
    }
    one.reset();
    one.bind(1, agent_id).bind(2, path).bind(3, std::int64_t{bucket});
    RELMAN_TRY(row, one.step());
    if (row) out.emplace(inventory::Part{path, bucket}, one.text(0));
  }
  return out;
}

// Where a host's software items are (hosts.inventory_layout, migration 26): in parts (false),
// or in the installed rows of its host CI (`host_ci`; 0 when it has none, which holds no rows).
struct SoftwareRows {
  bool rows = false;
  std::int64_t host_ci = 0;
};
Result<SoftwareRows> software_rows_of(sql::Connection& c, const std::string& agent_id) {
  RELMAN_TRY(st, c.prepare("SELECT h.inventory_layout, c.id FROM hosts h LEFT JOIN cmdb_cis c ON "
                           "c.source_key = 'agent:' || h.agent_id WHERE h.agent_id = ?"));
  st.bind(1, agent_id);
  RELMAN_TRY(row, st.step());
  SoftwareRows out;
  if (!row || st.int64(0) != 1) return out;
  out.rows = true;
  out.host_ci = st.is_null(1) ? 0 : st.int64(1);
  return out;
}

// Adds the software items kept in `host_ci`'s installed rows to `out`, as parts: all of them, or
// those `keys` names (found by name and manager, then the host's row; a key no row has is left
// out, as a part that does not hold it would).
Result<void> read_software_rows(sql::Connection& c, std::int64_t host_ci,
                                const std::vector<inventory::ItemKey>* keys,
                                inventory::Parts& out) {
  std::map<std::string, std::vector<std::string>> lines;  // path -> lines
  if (!keys) {
    RELMAN_TRY(st, c.prepare("SELECT s.manager, i.line FROM inventory_installed i JOIN "
                             "inventory_software s ON s.ci_id = i.software_ci_id WHERE "
                             "i.host_ci_id = ? AND i.line IS NOT NULL"));
    st.bind(1, host_ci);
    for (;;) {
      RELMAN_TRY(row, st.step());
      if (!row) break;
      if (auto path = inventory::software_list(st.text(0))) {
        lines[std::string(*path)].push_back(st.text(1));
      }
    }
  } else {
    // Index path: inventory_software(name, ...) then inventory_installed's primary key.
    RELMAN_TRY(st, c.prepare("SELECT i.line FROM inventory_software s CROSS JOIN "
                             "inventory_installed i WHERE s.name = ? AND s.manager = ? AND "
                             "i.host_ci_id = ? AND i.software_ci_id = s.ci_id AND "
                             "i.line IS NOT NULL"));
    std::set<std::pair<std::string, std::string>> done;  // (path, key)
    for (const auto& k : *keys) {
      auto manager = inventory::software_manager(k.path);
      if (!manager || k.name.empty() || !done.emplace(k.path, k.key).second) continue;
      st.reset();
      st.bind(1, k.name).bind(2, std::string(*manager)).bind(3, host_ci);
      for (;;) {
        RELMAN_TRY(row, st.step());
        if (!row) break;
        auto line = st.text(0);
        if (line.size() > k.key.size() && line.compare(0, k.key.size(), k.key) == 0 &&
            line[k.key.size()] == '\t') {
          lines[k.path].push_back(std::move(line));
        }
      }
    }
  }
  for (const auto& [path, list] : lines) inventory::add_lines(out, path, list);
  return {};
}

// Every item of a host's stored report: its parts, and its installed rows' items when they
// keep them.
Result<inventory::Parts> read_all_items(sql::Connection& c, const std::string& agent_id) {
  RELMAN_TRY(where, software_rows_of(c, agent_id));
  RELMAN_TRY(out, read_collections(c, agent_id, std::nullopt, where.rows));
  if (where.rows) RELMAN_CHECK(read_software_rows(c, where.host_ci, nullptr, out));
  return out;
}

// Readers get the whole document: the skeleton with its collections put back in. Only stored
// skeletons hold placeholders; a whole document from before reads as it is.
Result<void> assemble_documents(sql::Connection& c, std::vector<HostRecord>& hosts) {
  for (auto& h : hosts) {
    if (h.inventory_json.find("\"relman-items:") == std::string::npos) continue;
    auto skeleton = nlohmann::json::parse(h.inventory_json, nullptr, false);
    if (skeleton.is_discarded()) continue;
    RELMAN_TRY(collections, read_all_items(c, h.agent_id));
    h.inventory_json = inventory::assemble_inventory(std::move(skeleton), collections)
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return {};
}

// Writes the report's collections (all of them, or only those it changed); with `rows` not the
// software lists, whose items the installed rows keep.
Result<void> write_collections(sql::Connection& c, const std::string& agent_id,
                               const InventoryUpdate& update, bool rows) {
  if (update.whole_collections) {
    RELMAN_TRY(drop, c.prepare("DELETE FROM inventory_collections WHERE agent_id = ?"));
    RELMAN_CHECK(drop.bind(1, agent_id).run());
  }
  if (update.collections.empty()) return {};
  RELMAN_TRY(st, c.prepare("INSERT INTO inventory_collections(agent_id, path, bucket, items) "
                           "VALUES(?, ?, ?, ?) ON CONFLICT(agent_id, path, bucket) DO UPDATE "
                           "SET items = excluded.items"));
  for (const auto& [part, items] : update.collections) {
    if (rows && software_path(part.first)) continue;
    st.reset();
    RELMAN_CHECK(st.bind(1, agent_id)
                     .bind(2, part.first)
                     .bind(3, std::int64_t{part.second})
                     .bind(4, items)
                     .run());
  }
  return {};
}
}  // namespace

Result<void> SqlStore::host_connected(const std::string& agent_id, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("INSERT INTO hosts(agent_id, connected, first_seen, last_seen) "
                             "VALUES(?1, 1, ?2, ?2) ON CONFLICT(agent_id) DO UPDATE SET "
                             "connected = 1, last_seen = ?2"));
    RELMAN_CHECK(st.bind(1, agent_id).bind(2, now).run());
    RELMAN_CHECK(store_sql::upsert_host_ci(c, agent_id, "", ""));  // the agent's host CI
    return ok();
  });
}

Result<void> SqlStore::host_disconnected(const std::string& agent_id, std::int64_t now) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE hosts SET connected = 0, last_seen = ? WHERE agent_id = ?"));
    return st.bind(1, now).bind(2, agent_id).run();
  });
}

Result<void> SqlStore::mark_all_hosts_disconnected() {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("UPDATE hosts SET connected = 0"));
    return st.run();
  });
}

namespace {
// Reports reconcile one at a time (on PostgreSQL, across controllers too): two at once create
// and probe the same software and hardware CIs' index pages, which serializable isolation takes
// for conflicts, and a report of 1,500 packages would run again and again.
constexpr std::int64_t kInventoryLock = 0x72656c6d616e0005;  // "relman", issue 5

// record_inventory's work, inside the caller's transaction.
Result<void> store_update(sql::Connection& c, const std::string& agent_id,
                          const InventoryUpdate& update, std::int64_t now,
                          const store_sql::SoftwareIdCache& cache,
                          store_sql::SoftwareIdCache::Learned& learned) {
  // The software items go to the installed rows only with a plan to write them; an update
  // without one (no CI changes) leaves them where they are. Only an update of every collection
  // may move them (from parts to rows or back): one that writes some parts was applied to the
  // items where they were, and is stored only while they are still there.
  const bool planned = update.plan.has_value();
  bool rows = update.software_rows && planned;
  RELMAN_TRY(st, c.prepare("UPDATE hosts SET hostname = ?1, os = ?2, inventory_json = ?3, "
                           "inventory_hash = ?4, inventory_at = ?5, last_seen = ?5, "
                           "inventory_layout = CASE WHEN ?10 = 1 THEN ?8 ELSE inventory_layout "
                           "END WHERE agent_id = ?6 AND "
                           "(CAST(?7 AS TEXT) = '' OR inventory_hash = ?7) AND "
                           "(?9 = 1 OR ?10 = 0 OR inventory_layout = ?8)"));
  RELMAN_CHECK(st.bind(1, update.hostname)
                   .bind(2, update.os)
                   .bind(3, update.document_json)
                   .bind(4, update.hash)
                   .bind(5, now)
                   .bind(6, agent_id)
                   .bind(7, update.base_hash)
                   .bind(8, std::int64_t{rows ? 1 : 0})
                   .bind(9, std::int64_t{update.whole_collections ? 1 : 0})
                   .bind(10, std::int64_t{planned ? 1 : 0})
                   .run());
  if (st.changes() == 1) {
    RELMAN_TRY(host_ci, store_sql::upsert_host_ci(c, agent_id, update.hostname, update.os));
    if (planned) {
      const bool asked = rows;
      RELMAN_CHECK(store_sql::reconcile_inventory(c, host_ci, agent_id, *update.plan, update.hash,
                                                  now, cache, learned, rows));
      if (asked && !rows) {  // the rows cannot keep these items: parts keep them
        RELMAN_TRY(layout, c.prepare("UPDATE hosts SET inventory_layout = 0 WHERE agent_id = ?"));
        RELMAN_CHECK(layout.bind(1, agent_id).run());
      }
    }
    return write_collections(c, agent_id, update, rows);
  }
  RELMAN_TRY(now_stored, c.prepare("SELECT inventory_hash FROM hosts WHERE agent_id = ?"));
  now_stored.bind(1, agent_id);
  RELMAN_TRY(row, now_stored.step());
  if (!row) return fail("host.not_found", "no host with this agent id", agent_id);
  if (update.base_hash.empty() || now_stored.text(0) == update.base_hash) {
    return fail("inventory.base_mismatch",
                std::string("the update was applied to software items kept in ") +
                    (rows ? "installed rows" : "parts") + " but they are now kept in " +
                    (rows ? "parts" : "installed rows") + "; send a full report",
                agent_id);
  }
  return fail("inventory.base_mismatch",
              "the stored inventory is no longer the report this delta builds on", agent_id);
}

Result<std::optional<StoredInventoryRecord>> load_state(
    sql::Connection& c, const std::string& agent_id,
    const std::optional<inventory::Needed>& needed) {
  RELMAN_TRY(st, c.prepare("SELECT inventory_hash, inventory_json FROM hosts WHERE agent_id = ?"));
  st.bind(1, agent_id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<StoredInventoryRecord>();
  StoredInventoryRecord out{st.text(0), st.text(1), {}, false};
  RELMAN_TRY(where, software_rows_of(c, agent_id));
  out.software_rows = where.rows;
  std::optional<std::set<inventory::Part>> parts;
  if (needed) parts = needed->parts;
  RELMAN_TRY(collections, read_collections(c, agent_id, parts, where.rows));
  out.collections = std::move(collections);
  if (where.rows) {
    RELMAN_CHECK(
        read_software_rows(c, where.host_ci, needed ? &needed->keys : nullptr, out.collections));
  }
  return std::optional<StoredInventoryRecord>(std::move(out));
}
}  // namespace

Result<void> SqlStore::record_inventory(const std::string& agent_id, const InventoryUpdate& update,
                                        std::int64_t now) {
  store_sql::SoftwareIdCache::Learned learned;
  auto stored = sql::write(
      *pool_,
      [&](sql::Connection& c) -> Result<void> {
        learned.clear();  // a write may run again
        return store_update(c, agent_id, update, now, *software_ids_, learned);
      },
      kInventoryLock);
  if (stored) software_ids_->add(learned);  // committed
  return stored;
}

Result<void> SqlStore::update_inventory(const std::string& agent_id,
                                        const std::optional<inventory::Needed>& parts,
                                        std::int64_t now, const InventoryApply& apply) {
  std::vector<InventoryJob> one(1);
  one[0].agent_id = agent_id;
  one[0].parts = parts;
  one[0].apply = apply;
  update_inventories(one, now);
  return std::move(one[0].result);
}

void SqlStore::update_inventories(std::vector<InventoryJob>& jobs, std::int64_t now) {
  std::vector<InventoryJob*> pending;
  for (auto& job : jobs) pending.push_back(&job);
  while (!pending.empty()) {
    store_sql::SoftwareIdCache::Learned learned;
    // The pending job whose store failed, or kNone (a sentinel: g++ 12 takes an optional here
    // for possibly uninitialized).
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t failed = kNone;
    auto stored = sql::write(
        *pool_,
        [&](sql::Connection& c) -> Result<void> {
          learned.clear();  // a write may run again
          failed = kNone;
          for (std::size_t i = 0; i < pending.size(); ++i) {
            auto& job = *pending[i];
            RELMAN_TRY(state, load_state(c, job.agent_id, job.parts));
            auto update = job.apply(std::move(state));
            if (!update) {
              job.result = fail(std::move(update.error()));  // nothing of this job written yet
              continue;
            }
            job.result = ok();
            if (!*update) continue;
            auto s = store_update(c, job.agent_id, **update, now, *software_ids_, learned);
            if (!s) {
              failed = i;
              return s;
            }
          }
          return ok();
        },
        kInventoryLock);
    if (stored) {
      software_ids_->add(learned);  // committed
      return;
    }
    if (failed == kNone) {  // the database failed (reading, committing): every job's answer
      for (auto* job : pending) job->result = fail(stored.error());
      return;
    }
    // Rolled back: that job has its answer, the others run again without it.
    pending[failed]->result = fail(std::move(stored.error()));
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(failed));
  }
}

Result<std::vector<HostRecord>> SqlStore::list_hosts(const Page& page, const HostQuery& query) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<HostRecord>> {
    // ?1: -1 all hosts, 1 only stale ones, 0 only fresh ones.
    RELMAN_TRY(st,
               c.prepare(std::string("SELECT ") + kHostColumns +
                         " FROM hosts WHERE ?1 < 0 OR ?1 = (CASE WHEN connected = 0 AND "
                         "last_seen < ?2 THEN 1 ELSE 0 END) ORDER BY agent_id LIMIT ?3 OFFSET ?4"));
    st.bind(1, query.stale ? static_cast<std::int64_t>(*query.stale) : std::int64_t{-1})
        .bind(2, query.stale_before)
        .bind(3, store_sql::clamp_limit(page.limit))
        .bind(4, page.offset);
    RELMAN_TRY(hosts, store_sql::collect<HostRecord>(st, read_host));
    if (!query.inventory) {
      for (auto& h : hosts) h.inventory_json.clear();
      return hosts;
    }
    RELMAN_CHECK(assemble_documents(c, hosts));
    return hosts;
  });
}

Result<std::optional<HostRecord>> SqlStore::get_host(const std::string& agent_id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<HostRecord>> {
    RELMAN_TRY(st,
               c.prepare(std::string("SELECT ") + kHostColumns + " FROM hosts WHERE agent_id = ?"));
    st.bind(1, agent_id);
    RELMAN_TRY(row, st.step());
    if (!row) return std::optional<HostRecord>();
    std::vector<HostRecord> one{read_host(st)};
    RELMAN_CHECK(assemble_documents(c, one));
    return std::optional<HostRecord>(std::move(one.front()));
  });
}

}  // namespace relman::controller
