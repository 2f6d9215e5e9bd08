// SqlStore: reconciliation of accepted inventory reports into the CMDB (see
// controller/inventory/reconcile_plan.hpp), and the inventory history it keeps. Runs inside the
// transaction that stores the report. Bulk writes are batched (sql_batch.hpp); the software CI
// lookups are batched on PostgreSQL (round trips) and single prepared probes on SQLite
// (docs/benchmarks.md).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "controller/store/sql_batch.hpp"
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {
using inventory::SoftwarePackage;
using nlohmann::json;

namespace store_sql {
namespace {

struct Installed {
  std::int64_t ci_id = 0;
  SoftwarePackage package;
  std::string line;  // the row's item line; empty when it keeps none
};

// An installed row to write: the software CI and the item line it keeps (empty: none).
struct Row {
  std::int64_t ci_id = 0;
  const std::string* line = nullptr;
};

// The key part of an item line ("<key>\t<item>").
std::string_view key_part(std::string_view line) { return line.substr(0, line.find('\t')); }

struct ChangeRow {
  std::int64_t ci_id = 0;
  std::string action;
  json detail;
};

std::string key_of(const SoftwarePackage& p) {
  return p.name + '\0' + p.version + '\0' + p.architecture + '\0' + p.manager;
}

std::string slot_of(const SoftwarePackage& p) {  // the package whatever its version
  return p.manager + '\0' + p.name + '\0' + p.architecture;
}

json describe(const SoftwarePackage& p) {
  return json{{"manager", p.manager},
              {"package", p.name},
              {"architecture", p.architecture},
              {"version", p.version}};
}

class Reconciler {
 public:
  Reconciler(sql::Connection& c, std::int64_t host, std::string agent_id, std::string report,
             const std::vector<std::string>& blacklist, std::int64_t now,
             const SoftwareIdCache& cache, SoftwareIdCache::Learned& learned)
      : cache_(cache),
        learned_(learned),
        c_(c),
        host_(host),
        agent_id_(std::move(agent_id)),
        report_(std::move(report)),
        actor_("inventory:" + report_),
        blacklist_(blacklist),
        now_(now) {}

  // With `lines` (parallel to the packages) the rows keep them; a full list whose packages
  // share a software CI answers false (its lines cannot all be kept), else true.
  Result<bool> software_full(const std::vector<SoftwarePackage>& wanted,
                             const std::vector<std::string>* lines);
  Result<void> software_delta(const std::vector<SoftwarePackage>& added,
                              const std::vector<std::string>* lines,
                              const std::vector<inventory::SoftwareGone>& gone);
  Result<void> hardware(const std::string& agent_id,
                        const std::vector<inventory::HardwareItem>& items);
  Result<void> finish(const std::string& agent_id);

 private:
  Result<std::vector<std::int64_t>> software_ids(const std::vector<SoftwarePackage>& pkgs);
  Result<std::vector<Installed>> installed();
  Result<std::set<std::int64_t>> install(std::vector<Row> rows);
  Result<void> set_line(std::int64_t id, const std::string& line);
  Result<void> uninstall(const std::vector<std::int64_t>& ids);
  Result<void> link(std::int64_t id, const std::string& type);
  Result<void> unlink(std::int64_t id, const std::string& type);
  void record_software(const std::vector<Installed>& removed, const std::vector<Installed>& added);
  Result<void> alert_blacklisted(const std::vector<Installed>& added);

  const SoftwareIdCache& cache_;
  SoftwareIdCache::Learned& learned_;
  sql::Connection& c_;
  std::int64_t host_;
  std::string agent_id_;
  std::string report_;
  std::string actor_;
  const std::vector<std::string>& blacklist_;
  std::int64_t now_;
  std::vector<ChangeRow> changes_;
  std::int64_t software_count_ = -1;  // set by a baseline: the host's first software list
};

// The software CI of each package: from the cache, else from inventory_software, else created
// on first sight (with its CMDB version 1, which names the report that brought it).
Result<std::vector<std::int64_t>> Reconciler::software_ids(
    const std::vector<SoftwarePackage>& pkgs) {
  std::vector<std::string> keys;
  keys.reserve(pkgs.size());
  for (const auto& p : pkgs) keys.push_back(key_of(p));
  std::vector<std::int64_t> ids;
  cache_.lookup(keys, ids);
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == 0) missing.push_back(i);
  }
  if (missing.empty()) return ids;

  std::unordered_map<std::string, std::int64_t> found;
  if (c_.dialect() == sql::Dialect::sqlite) {
    // In-process: one prepared index lookup per package beats parsing a 400-parameter
    // statement (batches pay off where each statement is a network round trip).
    RELMAN_TRY(one, c_.prepare("SELECT ci_id FROM inventory_software WHERE name = ? AND "
                               "version = ? AND architecture = ? AND manager = ?"));
    for (auto i : missing) {
      const auto& p = pkgs[i];
      one.reset();
      one.bind(1, p.name).bind(2, p.version).bind(3, p.architecture).bind(4, p.manager);
      RELMAN_TRY(row, one.step());
      if (row) found[keys[i]] = one.int64(0);
    }
  } else {
    std::vector<SoftwarePackage> wanted;
    for (auto i : missing) wanted.push_back(pkgs[i]);
    RELMAN_CHECK(run_batched<SoftwarePackage>(
        c_,
        "SELECT ci_id, name, version, architecture, manager FROM inventory_software WHERE "
        "(name, version, architecture, manager) IN (VALUES ",
        "(?, ?, ?, ?)", ")", wanted,
        [](sql::Statement& st, int i, const SoftwarePackage& p) {
          st.bind(i, p.name)
              .bind(i + 1, p.version)
              .bind(i + 2, p.architecture)
              .bind(i + 3, p.manager);
          return i + 4;
        },
        [&](const sql::Statement& st) {
          found[key_of({st.text(4), st.text(1), st.text(3), st.text(2)})] = st.int64(0);
        }));
  }
  for (auto i : missing) {
    const auto& p = pkgs[i];
    auto it = found.find(keys[i]);
    if (it == found.end()) {
      cmdb::CiState s;
      s.name = p.name + " " + p.version + (p.architecture.empty() ? "" : " " + p.architecture);
      s.attributes = json{{"package", p.name},
                          {"version", p.version},
                          {"architecture", p.architecture},
                          {"manager", p.manager}};
      s.stage = "production";
      RELMAN_TRY(ci, insert_ci(c_, "software", s,
                               "software:" + p.manager + ":" + p.name + ":" + p.architecture + ":" +
                                   p.version,
                               "inventory", actor_));
      RELMAN_TRY(st, c_.prepare("INSERT INTO inventory_software(ci_id, manager, name, version, "
                                "architecture) VALUES(?, ?, ?, ?, ?)"));
      RELMAN_CHECK(st.bind(1, ci.id)
                       .bind(2, p.manager)
                       .bind(3, p.name)
                       .bind(4, p.version)
                       .bind(5, p.architecture)
                       .run());
      it = found.emplace(keys[i], ci.id).first;
      learned_.emplace_back(keys[i], ci.id);
    } else if (ids[i] == 0) {
      learned_.emplace_back(keys[i], it->second);
    }
    ids[i] = it->second;
  }
  return ids;
}

// The inventory's software CIs installed_on this host now (inventory_installed, migration 24;
// not CIs that people related installed_on it in cmdb_relationships).
Result<std::vector<Installed>> Reconciler::installed() {
  RELMAN_TRY(st, c_.prepare("SELECT s.ci_id, s.manager, s.name, s.architecture, s.version, "
                            "i.line FROM inventory_installed i JOIN inventory_software s ON "
                            "s.ci_id = i.software_ci_id WHERE i.host_ci_id = ?"));
  st.bind(1, host_);
  return collect<Installed>(st, [](const sql::Statement& r) {
    return Installed{r.int64(0), SoftwarePackage{r.text(1), r.text(2), r.text(3), r.text(4)},
                     r.is_null(5) ? std::string() : r.text(5)};
  });
}

// The host's rows sit next to each other (primary key host, software), so a report's inserts
// and deletes touch a few pages, not one per package. Answers the ids that were not installed
// on the host before (a row already there is left as it is, its line too).
Result<std::set<std::int64_t>> Reconciler::install(std::vector<Row> rows) {
  // In key order: each insert lands next to the last.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ci_id < b.ci_id; });
  auto bind_line = [](sql::Statement& st, int i, const Row& r) {
    if (r.line && !r.line->empty()) {
      st.bind(i, *r.line);
    } else {
      st.bind_null(i);
    }
  };
  std::set<std::int64_t> inserted;
  if (c_.dialect() == sql::Dialect::sqlite) {
    // In-process: one prepared row at a time parses once, not once per batch.
    RELMAN_TRY(st, c_.prepare("INSERT INTO inventory_installed(host_ci_id, software_ci_id, since, "
                              "line) VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING"));
    for (const auto& r : rows) {
      st.reset();
      st.bind(1, host_).bind(2, r.ci_id).bind(3, now_);
      bind_line(st, 4, r);
      RELMAN_CHECK(st.run());
      if (st.changes() == 1) inserted.insert(r.ci_id);
    }
    return inserted;
  }
  RELMAN_CHECK(run_batched<Row>(
      c_, "INSERT INTO inventory_installed(host_ci_id, software_ci_id, since, line) VALUES ",
      "(?, ?, ?, ?)", " ON CONFLICT DO NOTHING RETURNING software_ci_id", rows,
      [&](sql::Statement& st, int i, const Row& r) {
        st.bind(i, host_).bind(i + 1, r.ci_id).bind(i + 2, now_);
        bind_line(st, i + 3, r);
        return i + 4;
      },
      [&](const sql::Statement& st) { inserted.insert(st.int64(0)); }));
  return inserted;
}

// An item changed without a new version: its row stays (and its `since`), with the new line.
Result<void> Reconciler::set_line(std::int64_t id, const std::string& line) {
  RELMAN_TRY(st, c_.prepare("UPDATE inventory_installed SET line = ? WHERE host_ci_id = ? AND "
                            "software_ci_id = ?"));
  return st.bind(1, line).bind(2, host_).bind(3, id).run();
}

Result<void> Reconciler::uninstall(const std::vector<std::int64_t>& ids) {
  RELMAN_TRY(st, c_.prepare("DELETE FROM inventory_installed WHERE host_ci_id = ? AND "
                            "software_ci_id = ?"));
  for (auto id : ids) {
    st.reset();
    RELMAN_CHECK(st.bind(1, host_).bind(2, id).run());
  }
  return {};
}

Result<void> Reconciler::link(std::int64_t id, const std::string& type) {
  RELMAN_TRY(st, c_.prepare("INSERT INTO cmdb_relationships(from_id, type, to_id, created_by, "
                            "created_at) VALUES(?, ?, ?, ?, ?) "
                            "ON CONFLICT(from_id, type, to_id) DO NOTHING"));
  return st.bind(1, id).bind(2, type).bind(3, host_).bind(4, actor_).bind(5, now_).run();
}

Result<void> Reconciler::unlink(std::int64_t id, const std::string& type) {
  RELMAN_TRY(st, c_.prepare("DELETE FROM cmdb_relationships WHERE to_id = ? AND type = ? AND "
                            "from_id = ?"));
  return st.bind(1, host_).bind(2, type).bind(3, id).run();
}

// One history row per package: installed, removed, or changed (one version for another).
void Reconciler::record_software(const std::vector<Installed>& removed,
                                 const std::vector<Installed>& added) {
  std::map<std::string, const Installed*> gone;
  for (const auto& r : removed) gone[slot_of(r.package)] = &r;
  for (const auto& a : added) {
    auto it = gone.find(slot_of(a.package));
    json detail = describe(a.package);
    if (it != gone.end()) {
      detail["from_version"] = it->second->package.version;
      detail["from_ci"] = it->second->ci_id;
      changes_.push_back({a.ci_id, "software.changed", std::move(detail)});
      gone.erase(it);
    } else {
      changes_.push_back({a.ci_id, "software.installed", std::move(detail)});
    }
  }
  for (const auto& [slot, r] : gone) {
    changes_.push_back({r->ci_id, "software.removed", describe(r->package)});
  }
}

// A blacklisted package new on the host is an alert: an audit entry, so it reaches the event
// stream and webhooks.
Result<void> Reconciler::alert_blacklisted(const std::vector<Installed>& added) {
  if (blacklist_.empty()) return {};
  for (const auto& a : added) {
    if (std::find(blacklist_.begin(), blacklist_.end(), a.package.name) == blacklist_.end()) {
      continue;
    }
    json detail = describe(a.package);
    detail["report"] = report_;
    detail["software_ci"] = a.ci_id;
    detail["host_ci"] = host_;
    RELMAN_CHECK(append_audit(c_, actor_, "inventory.blacklisted_software", "host", agent_id_,
                              detail.dump()));
  }
  return {};
}

Result<bool> Reconciler::software_full(const std::vector<SoftwarePackage>& wanted,
                                       const std::vector<std::string>* lines) {
  RELMAN_TRY(ids, software_ids(wanted));
  RELMAN_TRY(now_installed, installed());
  bool one_each = true;                                // every package has a software CI of its own
  std::unordered_map<std::int64_t, std::size_t> want;  // software CI -> its package
  want.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    one_each = want.emplace(ids[i], i).second && one_each;
  if (!one_each) lines = nullptr;
  auto line_at = [&](std::size_t i) { return lines ? &(*lines)[i] : nullptr; };
  std::set<std::int64_t> have;
  for (const auto& i : now_installed) {
    have.insert(i.ci_id);
    auto w = want.find(i.ci_id);
    if (w != want.end() && lines && (*lines)[w->second] != i.line) {
      RELMAN_CHECK(set_line(i.ci_id, (*lines)[w->second]));  // the item changed, or moved here
    }
  }
  std::vector<Row> to_link;
  std::vector<Installed> added;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (have.contains(ids[i]) || want.at(ids[i]) != i) continue;  // there, or a second one
    to_link.push_back({ids[i], line_at(i)});
    added.push_back({ids[i], wanted[i], {}});
  }
  std::vector<std::int64_t> to_unlink;
  std::vector<Installed> removed;
  for (const auto& i : now_installed) {
    if (want.contains(i.ci_id)) continue;
    to_unlink.push_back(i.ci_id);
    removed.push_back(i);
  }
  RELMAN_CHECK(uninstall(to_unlink));
  RELMAN_CHECK(install(std::move(to_link)));  // none of them is there
  RELMAN_CHECK(alert_blacklisted(added));
  if (now_installed.empty()) {
    software_count_ = static_cast<std::int64_t>(added.size());  // the baseline: one row
  } else {
    record_software(removed, added);
  }
  return one_each;
}

Result<void> Reconciler::software_delta(const std::vector<SoftwarePackage>& added_packages,
                                        const std::vector<std::string>* lines,
                                        const std::vector<inventory::SoftwareGone>& gone) {
  std::vector<Installed> removed;
  if (!gone.empty()) {
    // Index path: inventory_software(name, ...) then inventory_installed's primary key.
    RELMAN_TRY(st, c_.prepare("SELECT s.ci_id, s.version FROM inventory_software s CROSS JOIN "
                              "inventory_installed i WHERE s.name = ? AND s.manager = ? AND "
                              "s.architecture = ? AND i.host_ci_id = ? AND "
                              "i.software_ci_id = s.ci_id"));
    for (const auto& g : gone) {
      st.reset();
      st.bind(1, g.name).bind(2, g.manager).bind(3, g.architecture).bind(4, host_);
      for (;;) {
        RELMAN_TRY(row, st.step());
        if (!row) break;
        auto version = st.text(1);
        if (!g.version.empty() && version != g.version) continue;
        if (!g.keep_version.empty() && version == g.keep_version) continue;
        removed.push_back({st.int64(0), {g.manager, g.name, g.architecture, version}, {}});
      }
    }
  }
  std::vector<std::int64_t> to_unlink;
  for (const auto& r : removed) to_unlink.push_back(r.ci_id);
  RELMAN_CHECK(uninstall(to_unlink));

  // The rows this delta adds; a package the host already has (an item changed without a new
  // version) is not inserted again, and is neither installed nor alerted on: its row takes the
  // item's new line.
  RELMAN_TRY(ids, software_ids(added_packages));
  std::vector<Row> rows;
  rows.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    rows.push_back({ids[i], lines ? &(*lines)[i] : nullptr});
  RELMAN_TRY(inserted, install(rows));
  std::vector<Installed> added;
  std::set<std::int64_t> lined;  // rows this delta gave a line
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (inserted.erase(ids[i]) == 1) {
      added.push_back({ids[i], added_packages[i], {}});
      lined.insert(ids[i]);
      continue;
    }
    if (!lines) continue;
    // The row was there: the same item changed, or another item of the host that maps to the
    // same software CI (rpm "1.0-2" and "1.0" release "2"), which one row cannot keep.
    RELMAN_TRY(st, c_.prepare("SELECT line FROM inventory_installed WHERE host_ci_id = ? AND "
                              "software_ci_id = ?"));
    st.bind(1, host_).bind(2, ids[i]);
    RELMAN_TRY(row, st.step());
    const std::string& line = (*lines)[i];
    if (!row || st.is_null(0) || lined.contains(ids[i]) || key_part(st.text(0)) != key_part(line)) {
      return fail("inventory.delta_invalid",
                  "the item maps to a software CI another item of the host has: " + line);
    }
    RELMAN_CHECK(set_line(ids[i], line));
    lined.insert(ids[i]);
  }
  RELMAN_CHECK(alert_blacklisted(added));
  record_software(removed, added);
  return {};
}

Result<void> Reconciler::hardware(const std::string& agent_id,
                                  const std::vector<inventory::HardwareItem>& items) {
  // The inventory's hardware CIs part_of this host now.
  RELMAN_TRY(cur, c_.prepare("SELECT c.id, c.source_key FROM cmdb_relationships r JOIN "
                             "cmdb_cis c ON c.id = r.from_id WHERE r.to_id = ? AND "
                             "r.type = 'part_of' AND c.class = 'hardware' AND "
                             "c.source_key IS NOT NULL"));
  cur.bind(1, host_);
  std::map<std::string, std::int64_t> attached;
  for (;;) {
    RELMAN_TRY(row, cur.step());
    if (!row) break;
    attached[cur.text(1)] = cur.int64(0);
  }
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!seen.insert(item.key).second) continue;  // the same serial or MAC twice: once
    RELMAN_TRY(ci, load_ci_by_source(c_, item.key));
    std::int64_t id = 0;
    if (!ci) {
      cmdb::CiState s;
      s.name = item.name;
      s.attributes = item.attributes;
      s.stage = "production";
      RELMAN_TRY(made, insert_ci(c_, "hardware", s, item.key, "inventory", actor_));
      id = made.id;
    } else {
      id = ci->id;
      cmdb::CiState next = ci->state;
      next.name = item.name;
      next.attributes = cmdb::merge_attributes(ci->state.attributes, item.attributes);
      if (next.stage == "in_store") next.stage = "production";  // back in service
      if (!(next == ci->state)) {
        RELMAN_CHECK(write_ci_version(c_, *ci, next, "inventory", 0, actor_));
        if (attached.contains(item.key)) {
          changes_.push_back({id, "hardware.changed",
                              json{{"before", ci->state.attributes}, {"after", next.attributes}}});
        }
      }
    }
    if (attached.erase(item.key) == 0) {
      // New here, or moved from another host: it is part of this one only.
      RELMAN_TRY(away, c_.prepare("DELETE FROM cmdb_relationships WHERE from_id = ? AND "
                                  "type = 'part_of' AND to_id <> ?"));
      RELMAN_CHECK(away.bind(1, id).bind(2, host_).run());
      RELMAN_CHECK(link(id, "part_of"));
      changes_.push_back({id, "hardware.added", json{{"key", item.key}, {"name", item.name}}});
    }
  }
  // What left the host goes to the definitive hardware store, not away.
  for (const auto& [key, id] : attached) {
    RELMAN_TRY(ci, require_ci(c_, id));
    if (ci.state.stage == "production") {
      cmdb::CiState next = ci.state;
      next.stage = "in_store";
      RELMAN_CHECK(write_ci_version(c_, ci, next, "inventory", 0, actor_));
    }
    RELMAN_CHECK(unlink(id, "part_of"));
    changes_.push_back({id, "hardware.removed",
                        json{{"key", key}, {"name", ci.state.name}, {"agent_id", agent_id}}});
  }
  return {};
}

Result<void> Reconciler::finish(const std::string& agent_id) {
  if (software_count_ >= 0) {
    changes_.push_back({host_, "inventory.baseline", json{{"software", software_count_}}});
  }
  if (changes_.empty()) return {};
  std::map<std::string, std::int64_t> counts;
  for (const auto& ch : changes_) ++counts[ch.action];
  RELMAN_CHECK(run_batched<ChangeRow>(
      c_,
      "INSERT INTO inventory_changes(host_ci_id, ci_id, action, detail_json, report_hash, at) "
      "VALUES ",
      "(?, ?, ?, ?, ?, ?)", "", changes_, [&](sql::Statement& st, int i, const ChangeRow& ch) {
        st.bind(i, host_)
            .bind(i + 1, ch.ci_id)
            .bind(i + 2, ch.action)
            .bind(i + 3, ch.detail.dump())
            .bind(i + 4, report_)
            .bind(i + 5, now_);
        return i + 6;
      }));
  json detail{{"report", report_}, {"host_ci", host_}, {"changes", counts}};
  return append_audit(c_, actor_, "inventory.reconcile", "host", agent_id, detail.dump());
}

}  // namespace

Result<void> reconcile_inventory(sql::Connection& c, std::int64_t host_ci_id,
                                 const std::string& agent_id, const inventory::ReconcilePlan& plan,
                                 const std::string& report_hash, std::int64_t now,
                                 const SoftwareIdCache& cache, SoftwareIdCache::Learned& learned,
                                 bool& software_rows) {
  Reconciler r(c, host_ci_id, agent_id, report_hash, plan.blacklist, now, cache, learned);
  const bool lined = software_rows && plan.software_lines.size() == plan.software.size();
  const auto* lines = lined ? &plan.software_lines : nullptr;
  if (plan.software_full) {
    RELMAN_TRY(one_each, r.software_full(plan.software, lines));
    software_rows = lined && one_each;
  } else if (!plan.software.empty() || !plan.software_gone.empty()) {
    if (software_rows && !lined) {
      return fail("inventory.delta_invalid", "the delta's software items come without lines");
    }
    RELMAN_CHECK(r.software_delta(plan.software, lines, plan.software_gone));
  }
  if (plan.hardware) RELMAN_CHECK(r.hardware(agent_id, plan.hardware_items));
  return r.finish(agent_id);
}

void SoftwareIdCache::lookup(const std::vector<std::string>& keys,
                             std::vector<std::int64_t>& ids) const {
  ids.assign(keys.size(), 0);
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto it = ids_.find(keys[i]);
    if (it != ids_.end()) ids[i] = it->second;
  }
}

void SoftwareIdCache::add(const Learned& learned) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, id] : learned) {
    if (ids_.size() >= kMaxEntries) return;
    ids_.emplace(key, id);
  }
}

}  // namespace store_sql

Result<std::vector<InventoryChange>> SqlStore::inventory_changes(std::int64_t ci_id,
                                                                 const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<InventoryChange>> {
    RELMAN_CHECK(store_sql::require_ci(c, ci_id));
    RELMAN_TRY(st, c.prepare("SELECT id, host_ci_id, ci_id, action, detail_json, report_hash, at "
                             "FROM inventory_changes WHERE host_ci_id = ?1 OR ci_id = ?1 "
                             "ORDER BY id DESC LIMIT ?2 OFFSET ?3"));
    st.bind(1, ci_id).bind(2, store_sql::clamp_limit(page.limit)).bind(3, page.offset);
    return store_sql::collect<InventoryChange>(st, [](const sql::Statement& r) {
      return InventoryChange{r.int64(0), r.int64(1), r.int64(2), r.text(3),
                             r.text(4),  r.text(5),  r.int64(6)};
    });
  });
}

Result<std::vector<SoftwareInstall>> SqlStore::hosts_running(
    const std::string& name, const std::optional<std::string>& version, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<SoftwareInstall>> {
    // inventory_software's unique index leads with (name, version). Each software CI's hosts:
    // on SQLite one inventory_installed primary-key probe per host CI (CROSS JOIN keeps the
    // host CIs outside; a scan of every host's rows would read them all); PostgreSQL plans it
    // over its index by software CI.
    RELMAN_TRY(st, c.prepare("SELECT h.id, h.name, h.source_key, s.ci_id, s.manager, s.name, "
                             "s.version, s.architecture, i.since FROM cmdb_cis h "
                             "CROSS JOIN inventory_installed i "
                             "CROSS JOIN inventory_software s WHERE " +
                             store_sql::agent_host_ci(c, "h") +
                             " AND i.host_ci_id = h.id AND i.software_ci_id = s.ci_id "
                             "AND i.software_ci_id IN (SELECT ci_id FROM inventory_software "
                             "WHERE name = ?1 AND (CAST(?2 AS TEXT) IS NULL OR version = ?2)) "
                             "ORDER BY h.id, s.ci_id LIMIT ?3 OFFSET ?4"));
    st.bind(1, name);
    if (version) {
      st.bind(2, *version);
    } else {
      st.bind_null(2);
    }
    st.bind(3, store_sql::clamp_limit(page.limit)).bind(4, page.offset);
    return store_sql::collect<SoftwareInstall>(st, [](const sql::Statement& r) {
      SoftwareInstall i;
      i.host_ci_id = r.int64(0);
      i.host_name = r.text(1);
      auto key = r.text(2);
      if (key.starts_with("agent:")) i.agent_id = key.substr(6);
      i.software_ci_id = r.int64(3);
      i.manager = r.text(4);
      i.name = r.text(5);
      i.version = r.text(6);
      i.architecture = r.text(7);
      i.since = r.int64(8);
      return i;
    });
  });
}

}  // namespace relman::controller
