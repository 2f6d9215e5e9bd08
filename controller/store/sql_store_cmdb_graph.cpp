// SqlStore: the CMDB's relationships, impact analysis over them, and the host CIs that
// agents' reports keep up to date.
#include <string>

#include <nlohmann/json.hpp>

#include "controller/cmdb/relationships.hpp"
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
using nlohmann::json;

namespace store_sql {
namespace {
constexpr const char* kRelationshipSelect =
    "SELECT r.id, r.type, f.id, f.class, f.name, t.id, t.class, t.name, r.created_by, "
    "r.created_at FROM cmdb_relationships r JOIN cmdb_cis f ON f.id = r.from_id "
    "JOIN cmdb_cis t ON t.id = r.to_id ";

cmdb::RelationshipRecord read_relationship(const sql::Statement& st) {
  cmdb::RelationshipRecord r;
  r.edge.id = st.int64(0);
  r.edge.type = st.text(1);
  r.edge.from = cmdb::CiRef{st.int64(2), st.text(3), st.text(4)};
  r.edge.to = cmdb::CiRef{st.int64(5), st.text(6), st.text(7)};
  r.created_by = st.text(8);
  r.created_at = st.int64(9);
  return r;
}

// The inventory's installed_on rows (inventory_installed, migration 24) read as relationships:
// no id (they are not cmdb_relationships rows; the host's next report adds and removes them),
// created by "inventory". `host_side`: those of the host CI `ci_id`; else those of the software
// CI `ci_id`, one primary-key probe per host CI (sql_store_cmdb.hpp: agent_host_ci).
Result<void> inventory_edges(sql::Connection& c, std::int64_t ci_id, bool host_side,
                             std::vector<cmdb::RelationshipRecord>& out) {
  const std::string select = "SELECT f.id, f.class, f.name, t.id, t.class, t.name, i.since FROM ";
  RELMAN_TRY(
      st, c.prepare(host_side ? select + "inventory_installed i JOIN cmdb_cis f ON f.id = "
                                         "i.software_ci_id JOIN cmdb_cis t ON t.id = i.host_ci_id "
                                         "WHERE i.host_ci_id = ? ORDER BY f.id"
                              : select +
                                    "cmdb_cis t CROSS JOIN inventory_installed i "
                                    "CROSS JOIN cmdb_cis f WHERE " +
                                    agent_host_ci(c, "t") +
                                    " AND i.host_ci_id = t.id AND i.software_ci_id = ? "
                                    "AND f.id = i.software_ci_id ORDER BY t.id"));
  st.bind(1, ci_id);
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    cmdb::RelationshipRecord r;
    r.edge.type = "installed_on";
    r.edge.from = cmdb::CiRef{st.int64(0), st.text(1), st.text(2)};
    r.edge.to = cmdb::CiRef{st.int64(3), st.text(4), st.text(5)};
    r.created_by = "inventory";
    r.created_at = st.int64(6);
    r.inventory = true;
    out.push_back(std::move(r));
  }
  return {};
}

// Every relationship with `ci_id` at either end: cmdb_relationships', then the inventory's.
// `software_hosts` false leaves out the hosts an inventory software CI is installed_on (impact
// analysis does not follow them from a CI that is not its origin).
Result<std::vector<cmdb::RelationshipRecord>> relationships_touching(sql::Connection& c,
                                                                     std::int64_t ci_id,
                                                                     bool software_hosts = true) {
  RELMAN_TRY(st, c.prepare(std::string(kRelationshipSelect) +
                           "WHERE r.from_id = ?1 OR r.to_id = ?1 ORDER BY r.id"));
  st.bind(1, ci_id);
  RELMAN_TRY(out, collect<cmdb::RelationshipRecord>(st, read_relationship));
  RELMAN_CHECK(inventory_edges(c, ci_id, true, out));
  if (software_hosts) {
    RELMAN_TRY(sw, c.prepare("SELECT 1 FROM inventory_software WHERE ci_id = ?"));
    sw.bind(1, ci_id);
    RELMAN_TRY(is_software, sw.step());
    if (is_software) RELMAN_CHECK(inventory_edges(c, ci_id, false, out));
  }
  return out;
}

Result<std::optional<cmdb::RelationshipRecord>> relationship_by_id(sql::Connection& c,
                                                                   std::int64_t id) {
  RELMAN_TRY(st, c.prepare(std::string(kRelationshipSelect) + "WHERE r.id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<cmdb::RelationshipRecord>();
  return std::optional<cmdb::RelationshipRecord>(read_relationship(st));
}
}  // namespace

std::string agent_host_ci(const sql::Connection& c, const std::string& alias) {
  if (c.dialect() == sql::Dialect::sqlite) {
    return "(" + alias + ".source_key >= 'agent:' AND " + alias + ".source_key < 'agent;')";
  }
  return "(" + alias + ".source_key LIKE 'agent:%')";
}

Result<std::int64_t> upsert_host_ci(sql::Connection& c, const std::string& agent_id,
                                    const std::string& hostname, const std::string& os) {
  const std::string key = "agent:" + agent_id;
  json reported{{"agent_id", agent_id}};
  if (!hostname.empty()) reported["hostname"] = hostname;
  if (!os.empty()) reported["os"] = os;
  // Every report comes here. Usually nothing changed: the stored attributes are exactly the
  // reported ones (as written by the calls before) and the name is the hostname, and then the
  // id is all it needs, without reading the CI whole. Anything else takes the full path.
  RELMAN_TRY(same, c.prepare("SELECT id FROM cmdb_cis WHERE source_key = ?1 AND "
                             "attributes_json = ?2 AND (?3 = '' OR name = ?3)"));
  same.bind(1, key).bind(2, reported.dump()).bind(3, hostname);
  RELMAN_TRY(unchanged, same.step());
  if (unchanged) return same.int64(0);
  RELMAN_TRY(ci, load_ci_by_source(c, key));
  if (!ci) {
    cmdb::CiState s;
    s.name = hostname.empty() ? agent_id : hostname;
    s.attributes = reported;
    s.stage = "production";
    RELMAN_TRY(created, insert_ci(c, "host", s, key, "agent", agent_id));
    return created.id;
  }
  cmdb::CiState next = ci->state;
  next.attributes = cmdb::merge_attributes(ci->state.attributes, reported);
  if (!hostname.empty()) next.name = hostname;
  if (next == ci->state) return ci->id;
  RELMAN_CHECK(write_ci_version(c, *ci, next, "agent", 0, agent_id));
  return ci->id;
}

}  // namespace store_sql

Result<std::vector<cmdb::RelationshipRecord>> SqlStore::ci_relationships(std::int64_t ci_id) {
  return sql::read(*pool_,
                   [&](sql::Connection& c) -> Result<std::vector<cmdb::RelationshipRecord>> {
                     RELMAN_CHECK(store_sql::require_ci(c, ci_id));
                     return store_sql::relationships_touching(c, ci_id);
                   });
}

Result<cmdb::RelationshipRecord> SqlStore::create_relationship(std::int64_t from_id,
                                                               const std::string& type,
                                                               std::int64_t to_id,
                                                               const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<cmdb::RelationshipRecord> {
    RELMAN_TRY(from, store_sql::require_ci(c, from_id));
    auto to = store_sql::load_ci(c, to_id);
    if (!to) return fail(std::move(to.error()));
    if (!*to) {
      // The target is named in the body: a bad reference, not a missing resource.
      return fail("cmdb.invalid_relationship", "no CI with id " + std::to_string(to_id), "to");
    }
    if (from_id == to_id) {
      return fail("cmdb.invalid_relationship", "a CI cannot be related to itself", "to");
    }
    RELMAN_CHECK(cmdb::check_relationship(type, from.class_name, (*to)->class_name));
    RELMAN_TRY(dup, c.prepare("SELECT id FROM cmdb_relationships WHERE from_id = ? AND "
                              "type = ? AND to_id = ?"));
    dup.bind(1, from_id).bind(2, type).bind(3, to_id);
    RELMAN_TRY(exists, dup.step());
    if (exists) {
      return fail("cmdb.relationship_exists",
                  from.state.name + " " + type + " " + (*to)->state.name + " is recorded already",
                  std::to_string(dup.int64(0)));
    }
    RELMAN_TRY(st, c.prepare("INSERT INTO cmdb_relationships(from_id, type, to_id, created_by, "
                             "created_at) VALUES(?, ?, ?, ?, ?) RETURNING id"));
    st.bind(1, from_id).bind(2, type).bind(3, to_id).bind(4, actor).bind(5, unix_seconds());
    RELMAN_CHECK(st.step());
    std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_CHECK(
        store_sql::append_audit(c, actor, "relationship.create", "relationship", std::to_string(id),
                                json{{"from", from_id}, {"type", type}, {"to", to_id}}.dump()));
    RELMAN_TRY(rec, store_sql::relationship_by_id(c, id));
    if (!rec) return fail("store.query_failed", "the new relationship row is missing");
    return std::move(*rec);
  });
}

Result<void> SqlStore::delete_relationship(std::int64_t id, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(rec, store_sql::relationship_by_id(c, id));
    if (!rec) {
      return fail("cmdb.relationship_not_found", "no relationship with this id",
                  std::to_string(id));
    }
    RELMAN_TRY(st, c.prepare("DELETE FROM cmdb_relationships WHERE id = ?"));
    RELMAN_CHECK(st.bind(1, id).run());
    return store_sql::append_audit(
        c, actor, "relationship.delete", "relationship", std::to_string(id),
        json{{"from", rec->edge.from.id}, {"type", rec->edge.type}, {"to", rec->edge.to.id}}
            .dump());
  });
}

Result<cmdb::ImpactReport> SqlStore::ci_impact(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<cmdb::ImpactReport> {
    RELMAN_TRY(ci, store_sql::require_ci(c, id));
    cmdb::EdgesOf edges_of =
        [&c, id](std::int64_t ci_id) -> Result<std::vector<cmdb::RelationshipEdge>> {
      // From a software CI, a change flows along installed_on to its hosts only when it is the
      // origin (cmdb::change_flows_from_to); elsewhere its thousands of hosts are not read.
      RELMAN_TRY(rels, store_sql::relationships_touching(
                           c, ci_id, cmdb::change_flows_from_to("installed_on", ci_id == id)));
      std::vector<cmdb::RelationshipEdge> edges;
      edges.reserve(rels.size());
      for (auto& r : rels) edges.push_back(std::move(r.edge));
      return edges;
    };
    return cmdb::analyze_impact(cmdb::CiRef{ci.id, ci.class_name, ci.state.name}, edges_of);
  });
}

namespace {
// A host CI's agent id is its source key after "agent:" (7 characters; SUBSTR counts from 1).
// Only CIs at either end of a depends_on relationship are mapped to their hosts: the
// inventory's software CIs (thousands per host, installed_on it) stay out unless one is.
std::string host_of(const sql::Connection& c) {
  return "WITH dep_ci(ci_id) AS ("
         " SELECT from_id FROM cmdb_relationships WHERE type = 'depends_on'"
         " UNION SELECT to_id FROM cmdb_relationships WHERE type = 'depends_on'),"
         " host_of(ci_id, agent) AS ("
         " SELECT id, SUBSTR(source_key, 7) FROM cmdb_cis WHERE source_key LIKE 'agent:%'"
         " UNION"
         " SELECT r.from_id, SUBSTR(h.source_key, 7) FROM cmdb_relationships r"
         " JOIN cmdb_cis h ON h.id = r.to_id"
         " WHERE r.type IN ('runs_on', 'installed_on') AND h.source_key LIKE 'agent:%'"
         " AND r.from_id IN (SELECT ci_id FROM dep_ci)"
         " UNION"
         " SELECT i.software_ci_id, SUBSTR(h.source_key, 7) FROM dep_ci d"
         " CROSS JOIN cmdb_cis h CROSS JOIN inventory_installed i WHERE " +
         store_sql::agent_host_ci(c, "h") +
         " AND d.ci_id IN (SELECT ci_id FROM inventory_software)"
         " AND i.host_ci_id = h.id AND i.software_ci_id = d.ci_id) ";
}

template <class Second, class Read>
Result<std::vector<std::pair<std::string, Second>>> facts(sql::Connection& c,
                                                          const std::string& query, Read read,
                                                          const char* what) {
  RELMAN_TRY(st, c.prepare(query + " LIMIT ?"));
  st.bind(1, static_cast<std::int64_t>(cmdb::kMaxHostFacts) + 1);
  std::vector<std::pair<std::string, Second>> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) break;
    if (out.size() == cmdb::kMaxHostFacts) {
      return fail("cmdb.too_many_facts",
                  std::string("the CMDB has more than ") + std::to_string(cmdb::kMaxHostFacts) +
                      " " + what + "; a plan reads at most that many",
                  what);
    }
    out.emplace_back(st.text(0), read(st));
  }
  return out;
}
}  // namespace

Result<cmdb::HostFacts> SqlStore::cmdb_host_facts() {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<cmdb::HostFacts> {
    auto text1 = [](const sql::Statement& st) { return st.text(1); };
    cmdb::HostFacts f;
    RELMAN_TRY(deps, facts<std::string>(
                         c,
                         host_of(c) + "SELECT DISTINCT a.agent, b.agent FROM cmdb_relationships d "
                                      "JOIN host_of a ON a.ci_id = d.from_id "
                                      "JOIN host_of b ON b.ci_id = d.to_id "
                                      "WHERE d.type = 'depends_on' AND a.agent <> b.agent "
                                      "ORDER BY a.agent, b.agent",
                         text1, "host dependencies"));
    f.depends_on = std::move(deps);
    RELMAN_TRY(groups,
               facts<std::string>(c,
                                  "SELECT DISTINCT SUBSTR(h.source_key, 7), g.name "
                                  "FROM cmdb_relationships r JOIN cmdb_cis h ON h.id = r.from_id "
                                  "JOIN cmdb_cis g ON g.id = r.to_id "
                                  "WHERE r.type = 'part_of' AND h.source_key LIKE 'agent:%' "
                                  "ORDER BY 1, 2",
                                  text1, "host groups"));
    f.groups = std::move(groups);
    RELMAN_TRY(hosts, facts<cmdb::HostCi>(
                          c,
                          "SELECT SUBSTR(source_key, 7), id, name, stage, owner_group, "
                          "criticality, attributes_json FROM cmdb_cis "
                          "WHERE source_key LIKE 'agent:%' ORDER BY 1",
                          [](const sql::Statement& st) {
                            auto attributes = json::parse(st.text(6), nullptr, false);
                            return cmdb::HostCi{
                                st.int64(1), st.text(2),
                                st.text(3),  st.text(4),
                                st.text(5),  attributes.is_object() ? attributes : json::object()};
                          },
                          "host CIs"));
    f.host_cis = std::move(hosts);
    return f;
  });
}

}  // namespace relman::controller
