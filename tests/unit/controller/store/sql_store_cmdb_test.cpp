// The CMDB in SqlStore on a real database of each backend: versions as restore points,
// optimistic locking, audit entries with each change, relationships and impact, and the host
// CIs that agents' reports keep up to date.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace cmdb {
// A CI as a failed comparison shows it.
void PrintTo(const CiRecord& ci, std::ostream* os) {
  *os << "{id " << ci.id << ", class " << ci.class_name << ", name " << ci.state.name
      << ", attributes " << ci.state.attributes.dump() << ", stage " << ci.state.stage << ", owner "
      << ci.state.owner_group << ", criticality " << ci.state.criticality << ", version "
      << ci.version << ", source_key " << ci.source_key << ", created " << ci.created_by << "@"
      << ci.created_at << ", updated " << ci.updated_by << "@" << ci.updated_at << "}";
}
}  // namespace cmdb

namespace {
using nlohmann::json;

class SqlStoreCmdbTest : public StoreBackendTest {
 protected:
  cmdb::CiRecord make(const std::string& cls, const std::string& name) {
    cmdb::CiDraft d;
    d.class_name = cls;
    d.state.name = name;
    auto r = store->create_ci(d, "alice");
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : cmdb::CiRecord{};
  }

  // What a write answered is the CI as stored (the store builds it without reading it back),
  // every field of it.
  void expect_as_stored(const cmdb::CiRecord& answered) {
    auto stored = store->get_ci(answered.id);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ(answered, **stored);
  }

  std::vector<std::string> audit_actions() {
    std::vector<std::string> out;
    auto entries = store->list_audit(AuditQuery{}, Page{500, 0});
    EXPECT_TRUE(entries);
    for (const auto& e : *entries) out.push_back(e.action);
    return out;
  }
};

TEST_P(SqlStoreCmdbTest, EveryChangeIsAVersionAndAnAuditEntry) {
  auto ci = make("host", "srv1");
  EXPECT_EQ(ci.version, 1);
  expect_as_stored(ci);
  cmdb::CiPatch p;
  p.expected_version = 1;
  p.attributes = json{{"os", "debian"}, {"cpu_count", 4}, {"memory_mb", 2047.5}};
  p.stage = "production";
  auto v2 = store->update_ci(ci.id, p, "bob");
  ASSERT_TRUE(v2) << v2.error().describe();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->updated_by, "bob");
  expect_as_stored(*v2);

  auto stale = store->update_ci(ci.id, p, "carol");  // still names version 1
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "cmdb.version_conflict");

  p.expected_version = 2;  // the same values again: nothing changes, no version
  auto same = store->update_ci(ci.id, p, "bob");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->version, 2);

  auto restored = store->restore_ci(ci.id, 1, std::nullopt, "dave");
  ASSERT_TRUE(restored) << restored.error().describe();
  EXPECT_EQ(restored->version, 3);
  EXPECT_EQ(restored->state, ci.state);
  auto history = store->ci_history(ci.id, Page{});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].change, "restore");
  EXPECT_EQ((*history)[0].restored_from, 1);
  EXPECT_EQ((*history)[1].state.attributes,
            (json{{"os", "debian"}, {"cpu_count", 4}, {"memory_mb", 2047.5}}));
  expect_as_stored(*restored);

  auto actions = audit_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "ci.create"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "ci.update"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "ci.restore"), 1);
}

TEST_P(SqlStoreCmdbTest, ARefusedChangeLeavesNoTrace) {
  auto ci = make("host", "srv1");
  const auto before = audit_actions().size();
  cmdb::CiPatch p;
  p.expected_version = 1;
  p.attributes = json{{"memory_mb", "lots"}};
  auto bad = store->update_ci(ci.id, p, "bob");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "cmdb.invalid_attribute");
  auto missing = store->restore_ci(ci.id, 5, std::nullopt, "bob");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "cmdb.version_not_found");
  auto unknown = store->update_ci(999, p, "bob");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "cmdb.ci_not_found");
  EXPECT_EQ(audit_actions().size(), before);
  EXPECT_EQ(store->get_ci(ci.id)->value().version, 1);
}

TEST_P(SqlStoreCmdbTest, VersionsCannotBeRewritten) {
  auto ci = make("host", "srv1");
  store.reset();
  auto db = conn();
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->exec("UPDATE cmdb_ci_versions SET name = 'forged'"));
  EXPECT_FALSE(db->exec("DELETE FROM cmdb_ci_versions"));
}

TEST_P(SqlStoreCmdbTest, UserClassesAreStoredOnce) {
  cmdb::CiClass c;
  c.name = "rack";
  c.attributes["units"] = cmdb::AttributeSpec{cmdb::AttributeType::kNumber, true, {}};
  ASSERT_TRUE(store->create_ci_class(c, "alice"));
  auto again = store->create_ci_class(c, "alice");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "cmdb.class_exists");
  auto classes = store->list_ci_classes();
  ASSERT_TRUE(classes);
  EXPECT_EQ(classes->size(), 6u);
  cmdb::CiDraft d;
  d.class_name = "rack";
  d.state.name = "r1";
  auto bad = store->create_ci(d, "alice");  // units is required
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context, "units");
  d.state.attributes = json{{"units", 42}};
  EXPECT_TRUE(store->create_ci(d, "alice"));
  d.class_name = "nope";
  EXPECT_EQ(store->create_ci(d, "alice").error().code, "cmdb.unknown_class");
}

TEST_P(SqlStoreCmdbTest, RelationshipsAreUniqueAndFeedImpact) {
  auto app = make("service", "app");
  auto host = make("host", "h1");
  auto r = store->create_relationship(app.id, "runs_on", host.id, "alice");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->edge.from.name, "app");
  auto dup = store->create_relationship(app.id, "runs_on", host.id, "alice");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "cmdb.relationship_exists");
  auto wrong = store->create_relationship(host.id, "runs_on", app.id, "alice");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "cmdb.invalid_relationship");

  auto impact = store->ci_impact(host.id);
  ASSERT_TRUE(impact) << impact.error().describe();
  ASSERT_EQ(impact->affected.size(), 1u);
  EXPECT_EQ(impact->affected[0].ci.name, "app");

  ASSERT_TRUE(store->delete_relationship(r->edge.id, "alice"));
  EXPECT_EQ(store->delete_relationship(r->edge.id, "alice").error().code,
            "cmdb.relationship_not_found");
  EXPECT_TRUE(store->ci_impact(host.id)->affected.empty());
  EXPECT_EQ(store->ci_impact(424242).error().code, "cmdb.ci_not_found");
}

TEST_P(SqlStoreCmdbTest, FiltersFindCisByClassStageGroupAndName) {
  make("host", "web-1");
  make("host", "db_1");
  make("service", "Web shop");
  cmdb::CiFilter f;
  f.class_name = "host";
  EXPECT_EQ(store->list_cis(f, Page{})->size(), 2u);
  f = {};
  f.q = "WEB";
  EXPECT_EQ(store->list_cis(f, Page{})->size(), 2u);
  f.q = "_";  // a character, not a wildcard
  EXPECT_EQ(store->list_cis(f, Page{})->size(), 1u);
  f = {};
  f.stage = "production";
  EXPECT_EQ(store->list_cis(f, Page{})->size(), 0u);
}

TEST_P(SqlStoreCmdbTest, AgentsHostsBecomeHostCisKeptInStep) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  cmdb::CiFilter f;
  f.class_name = "host";
  auto list = store->list_cis(f, Page{});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  const auto id = (*list)[0].id;
  EXPECT_EQ((*list)[0].source_key, "agent:a1");
  EXPECT_EQ((*list)[0].state.name, "a1");
  EXPECT_EQ((*list)[0].state.stage, "production");

  ASSERT_TRUE(store->record_inventory(
      "a1", InventoryUpdate{"web1", "Debian 12", "{}", "", "", std::nullopt, {}}, 101));
  auto ci = store->get_ci(id);
  ASSERT_TRUE(ci && *ci);
  EXPECT_EQ((*ci)->version, 2);
  EXPECT_EQ((*ci)->state.name, "web1");
  EXPECT_EQ((*ci)->state.attributes,
            (json{{"agent_id", "a1"}, {"hostname", "web1"}, {"os", "Debian 12"}}));

  // The same report, and a reconnect, change nothing.
  ASSERT_TRUE(store->record_inventory(
      "a1", InventoryUpdate{"web1", "Debian 12", "{}", "", "", std::nullopt, {}}, 102));
  ASSERT_TRUE(store->host_connected("a1", 103));
  EXPECT_EQ(store->get_ci(id)->value().version, 2);
  EXPECT_EQ(store->list_cis(f, Page{})->size(), 1u);

  // What people added to the host CI stays when the agent reports again.
  cmdb::CiPatch p;
  p.expected_version = 2;
  p.attributes = json{{"ip_address", "10.0.0.5"}};
  ASSERT_TRUE(store->update_ci(id, p, "alice"));
  ASSERT_TRUE(store->record_inventory(
      "a1", InventoryUpdate{"web1", "Debian 13", "{}", "", "", std::nullopt, {}}, 104));
  auto after = store->get_ci(id)->value();
  EXPECT_EQ(after.version, 4);
  EXPECT_EQ(after.state.attributes["ip_address"], "10.0.0.5");
  EXPECT_EQ(after.state.attributes["os"], "Debian 13");

  // The agent's facts win over an edit of them: a host CI renamed, or its reported OS changed
  // by hand, is put back by the next report even when the report itself did not change.
  p.expected_version = 4;
  p.attributes = json{{"os", "typed by hand"}};
  p.name = "renamed";
  ASSERT_TRUE(store->update_ci(id, p, "alice"));
  ASSERT_TRUE(store->record_inventory(
      "a1", InventoryUpdate{"web1", "Debian 13", "{}", "", "", std::nullopt, {}}, 105));
  auto back = store->get_ci(id)->value();
  EXPECT_EQ(back.version, 6);
  EXPECT_EQ(back.state.name, "web1");
  EXPECT_EQ(back.state.attributes["os"], "Debian 13");
  EXPECT_EQ(back.state.attributes["ip_address"], "10.0.0.5");
  EXPECT_EQ(back.updated_by, "a1");

  // A host CI with exactly the reported attributes, renamed by hand: the name comes back too.
  ASSERT_TRUE(store->host_connected("a2", 100));
  ASSERT_TRUE(store->record_inventory(
      "a2", InventoryUpdate{"web2", "Debian 12", "{}", "", "", std::nullopt, {}}, 101));
  f.q = "web2";
  auto web2 = store->list_cis(f, Page{});
  ASSERT_TRUE(web2);
  ASSERT_EQ(web2->size(), 1u);
  const auto id2 = (*web2)[0].id;
  cmdb::CiPatch rename;
  rename.expected_version = 2;
  rename.name = "renamed";
  ASSERT_TRUE(store->update_ci(id2, rename, "alice"));
  ASSERT_TRUE(store->record_inventory(
      "a2", InventoryUpdate{"web2", "Debian 12", "{}", "", "", std::nullopt, {}}, 102));
  auto web2_back = store->get_ci(id2)->value();
  EXPECT_EQ(web2_back.state.name, "web2");
  EXPECT_EQ(web2_back.version, 4);
}

TEST_P(SqlStoreCmdbTest, HostFactsForThePlannerComeFromTheRelationships) {
  for (const char* agent : {"a1", "a2", "a3"}) ASSERT_TRUE(store->host_connected(agent, 100));
  auto host = [&](const std::string& agent) { return host_ci(agent); };
  auto relate = [&](std::int64_t from, const std::string& type, std::int64_t to) {
    auto r = store->create_relationship(from, type, to, "alice");
    ASSERT_TRUE(r) << type << ": " << r.error().describe();
  };
  auto db = make("service", "db");
  auto app = make("service", "app");
  auto lib = make("software", "libpay 2");
  auto cache = make("service", "cache");
  auto farm = make("service", "berlin farm");
  auto manual = make("host", "not an agent");
  relate(db.id, "runs_on", host("a1"));
  relate(app.id, "runs_on", host("a2"));
  relate(app.id, "depends_on", db.id);           // a2 after a1
  relate(host("a3"), "depends_on", host("a1"));  // a3 after a1
  relate(lib.id, "installed_on", host("a2"));
  relate(lib.id, "depends_on", db.id);  // a2 after a1 again: once
  relate(cache.id, "runs_on", host("a1"));
  relate(host("a1"), "depends_on", cache.id);   // on itself: no pair
  relate(manual.id, "depends_on", host("a1"));  // not an agent's host: no pair
  relate(host("a1"), "part_of", farm.id);
  relate(host("a3"), "part_of", farm.id);

  auto facts = store->cmdb_host_facts();
  ASSERT_TRUE(facts) << facts.error().describe();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  auto sorted = [](Pairs p) {
    std::sort(p.begin(), p.end());
    return p;
  };
  EXPECT_EQ(sorted(facts->depends_on), (Pairs{{"a2", "a1"}, {"a3", "a1"}}));
  EXPECT_EQ(sorted(facts->groups), (Pairs{{"a1", "berlin farm"}, {"a3", "berlin farm"}}));
  ASSERT_EQ(facts->host_cis.size(), 3u);
  for (const auto& [agent, ci] : facts->host_cis) {
    EXPECT_EQ(ci.id, host(agent));
    EXPECT_EQ(ci.name, agent);
    EXPECT_EQ(ci.stage, "production");
    EXPECT_EQ(ci.attributes["agent_id"], agent);
  }
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreCmdbTest);

}  // namespace
}  // namespace relman::controller
