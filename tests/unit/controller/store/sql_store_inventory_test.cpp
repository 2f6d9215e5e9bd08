// Reconciliation of inventory reports into the CMDB on a real database of each backend:
// shared software CIs installed_on hosts, hardware CIs part_of them (to in_store when they
// leave, and back), deltas touching only what they change, and the history of every change.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/inventory/inventory_intake.hpp"
#include "controller/inventory/stored_inventory.hpp"
#include "controller/store/migrations/migrations.hpp"
#include "controller/store/sql/migrate.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/backend.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

json package(const std::string& name, const std::string& version) {
  return json{
      {"name", name}, {"version", version}, {"architecture", "amd64"}, {"installed_size_kib", 10}};
}

json document(const std::string& hostname, json packages, json disks) {
  json doc{
      {"hostname", hostname},
      {"facts",
       {{"cpu", {{"model", "Xeon"}, {"threads", 4}, {"cores", 2}, {"sockets", 1}}},
        {"memory", {{"total_mib", 2048}}},
        {"disks", {{"disks", std::move(disks)}}},
        {"network",
         {{"interfaces",
           json::array({{{"name", "lo"}, {"mac", "00:00:00:00:00:00"}},
                        {{"name", "eth0"}, {"mac", "52:54:00:00:00:01"}, {"speed_mbps", 1000}}})}}},
        {"software", {{"dpkg", {{"packages", std::move(packages)}}}}}}}};
  return doc;
}

json disk(const std::string& name, const std::string& serial) {
  return json{{"name", name},
              {"serial", serial},
              {"model", "SSD"},
              {"size_bytes", 1000},
              {"rotational", false}};
}

class SqlStoreInventoryTest : public sql::BackendTest {
 protected:
  void SetUp() override {
    sql::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = on_postgres() ? SqlStore::open_postgresql(pg_target(), 4)
                           : SqlStore::open_sqlite(sqlite_file());
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
  }

  // The host's stored report as a delta reads it (update_inventory, storing nothing).
  Result<std::optional<StoredInventoryRecord>> state_of(
      const std::string& agent, const std::optional<inventory::Needed>& parts) {
    std::optional<StoredInventoryRecord> seen;
    auto r = store->update_inventory(
        agent, parts, 0,
        [&](std::optional<StoredInventoryRecord> s) -> Result<std::optional<InventoryUpdate>> {
          seen = std::move(s);
          return std::optional<InventoryUpdate>();
        });
    if (!r) return fail(std::move(r.error()));
    return seen;
  }

  void full(const std::string& agent, const json& doc, const std::string& hash) {
    ASSERT_TRUE(store->host_connected(agent, 100));
    InventoryUpdate u{doc.value("hostname", ""),        "debian", doc.dump(), hash, "",
                      inventory::plan_full(agent, doc), {}};
    auto r = store->record_inventory(agent, u, 200);
    ASSERT_TRUE(r) << r.error().describe();
  }

  void delta(const std::string& agent, const json& before, const json& after,
             const std::string& base, const std::string& hash) {
    auto changes = protocol::diff_inventory(before, after);
    InventoryUpdate u{after.value("hostname", ""),
                      "debian",
                      after.dump(),
                      hash,
                      base,
                      inventory::plan_delta(agent, changes, after),
                      {}};
    auto r = store->record_inventory(agent, u, 300);
    ASSERT_TRUE(r) << r.error().describe();
  }

  cmdb::CiRecord ci_by_name(const std::string& cls, const std::string& name) {
    cmdb::CiFilter f;
    f.class_name = cls;
    auto list = store->list_cis(f, Page{500, 0});
    EXPECT_TRUE(list);
    for (const auto& ci : *list) {
      if (ci.state.name == name) return ci;
    }
    ADD_FAILURE() << "no " << cls << " CI named " << name;
    return {};
  }

  std::int64_t host_ci(const std::string& agent) {
    cmdb::CiFilter f;
    f.class_name = "host";
    auto list = store->list_cis(f, Page{500, 0});
    for (const auto& ci : *list) {
      if (ci.source_key == "agent:" + agent) return ci.id;
    }
    ADD_FAILURE() << "no host CI for " << agent;
    return 0;
  }

  std::vector<std::string> running(const std::string& name,
                                   const std::optional<std::string>& version) {
    auto r = store->hosts_running(name, version, Page{500, 0});
    EXPECT_TRUE(r) << r.error().describe();
    std::vector<std::string> out;
    for (const auto& i : *r) out.push_back(i.agent_id + "=" + i.version);
    return out;
  }

  std::vector<std::string> actions(std::int64_t ci) {
    auto r = store->inventory_changes(ci, Page{500, 0});
    EXPECT_TRUE(r) << r.error().describe();
    std::vector<std::string> out;
    for (const auto& c : *r) out.push_back(c.action);
    return out;
  }

  std::unique_ptr<SqlStore> store;
  const std::string h1 = std::string(64, '1');
  const std::string h2 = std::string(64, '2');
  const std::string h3 = std::string(64, '3');
};

TEST_P(SqlStoreInventoryTest, AFullReportBecomesSoftwareAndHardwareCisOfTheHost) {
  auto doc = document("web-01", json::array({package("bash", "5.2"), package("curl", "7.88")}),
                      json::array({disk("sda", "S1"), disk("vda", "")}));
  full("a1", doc, h1);
  auto host = host_ci("a1");

  auto curl = ci_by_name("software", "curl 7.88 amd64");
  EXPECT_EQ(curl.state.stage, "production");
  EXPECT_EQ(curl.state.attributes["version"], "7.88");
  EXPECT_EQ(curl.created_by, "inventory:" + h1);  // its CMDB version 1 names the report
  EXPECT_EQ(running("curl", "7.88"), std::vector<std::string>{"a1=7.88"});
  EXPECT_EQ(running("curl", std::nullopt), std::vector<std::string>{"a1=7.88"});
  EXPECT_TRUE(running("curl", "8.0").empty());
  EXPECT_TRUE(running("nothing", std::nullopt).empty());

  auto rels = store->ci_relationships(host);
  ASSERT_TRUE(rels);
  int installed = 0, parts = 0;
  for (const auto& r : *rels) {
    EXPECT_EQ(r.edge.to.id, host);
    if (r.edge.type == "installed_on") {
      // The inventory's own rows: no id (not deletable), and the report's time.
      ++installed;
      EXPECT_TRUE(r.inventory);
      EXPECT_EQ(r.edge.id, 0);
      EXPECT_EQ(r.created_by, "inventory");
      EXPECT_EQ(to_json(r)["id"], nullptr);
      EXPECT_EQ(to_json(r)["source"], "inventory");
    }
    if (r.edge.type == "part_of") {
      ++parts;
      EXPECT_FALSE(r.inventory);
      EXPECT_GT(r.edge.id, 0);
      EXPECT_EQ(r.created_by, "inventory:" + h1);
    }
    EXPECT_EQ(r.created_at, 200);
  }
  EXPECT_EQ(installed, 2);
  EXPECT_EQ(parts, 5);  // cpu, memory, sda (by serial), vda (the host's), eth0 (not lo)
  auto sda = ci_by_name("hardware", "web-01 sda");
  EXPECT_EQ(sda.source_key, "disk:S1");
  EXPECT_EQ(ci_by_name("hardware", "web-01 vda").source_key, "agent:a1/disk/vda");
  EXPECT_EQ(ci_by_name("hardware", "web-01 eth0").source_key, "nic:52:54:00:00:00:01");
  EXPECT_EQ(ci_by_name("hardware", "web-01 memory").state.attributes["size_bytes"],
            2048LL * 1024 * 1024);

  auto hist = actions(host);
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "inventory.baseline"), 1);
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "hardware.added"), 5);
  auto audit = store->list_audit(AuditQuery{}, Page{500, 0});
  ASSERT_TRUE(audit);
  EXPECT_TRUE(std::any_of(audit->begin(), audit->end(),
                          [](const AuditEntry& e) { return e.action == "inventory.reconcile"; }));

  // The same report again changes nothing.
  full("a1", doc, h1);
  EXPECT_EQ(actions(host), hist);
}

TEST_P(SqlStoreInventoryTest, HostsShareOneSoftwareCiPerVersion) {
  full("a1", document("web-01", json::array({package("curl", "7.88")}), json::array()), h1);
  full("a2", document("web-02", json::array({package("curl", "7.88")}), json::array()), h2);
  full("a3", document("web-03", json::array({package("curl", "8.0")}), json::array()), h3);
  cmdb::CiFilter f;
  f.class_name = "software";
  auto list = store->list_cis(f, Page{500, 0});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);
  EXPECT_EQ(running("curl", "7.88"), (std::vector<std::string>{"a1=7.88", "a2=7.88"}));
  EXPECT_EQ(running("curl", std::nullopt),
            (std::vector<std::string>{"a1=7.88", "a2=7.88", "a3=8.0"}));
}

// The inventory keeps its installed_on rows apart (inventory_installed); the CMDB still reads
// them as relationships, from either end, for impact analysis and for the planner's host facts.
TEST_P(SqlStoreInventoryTest, TheInventorysInstalledOnIsPartOfTheCmdbGraph) {
  full("a1", document("web-01", json::array({package("curl", "7.88")}), json::array()), h1);
  full("a2", document("web-02", json::array({package("curl", "7.88")}), json::array()), h2);
  ASSERT_TRUE(store->host_connected("a3", 100));
  const auto curl = ci_by_name("software", "curl 7.88 amd64").id;
  const auto a1 = host_ci("a1"), a2 = host_ci("a2"), a3 = host_ci("a3");

  auto rels = store->ci_relationships(curl);
  ASSERT_TRUE(rels) << rels.error().describe();
  std::vector<std::int64_t> hosts;
  for (const auto& r : *rels) {
    EXPECT_EQ(r.edge.type, "installed_on");
    EXPECT_EQ(r.edge.from.id, curl);
    EXPECT_EQ(r.edge.to.class_name, "host");
    hosts.push_back(r.edge.to.id);
  }
  EXPECT_EQ(hosts, (std::vector<std::int64_t>{a1, a2}));

  // shop (on a3) depends on curl: a change to a1 reaches shop through curl, but not a2 (from a
  // software CI that is not the origin, a change does not flow to its other hosts).
  cmdb::CiDraft d;
  d.class_name = "service";
  d.state.name = "shop";
  auto shop = store->create_ci(d, "alice");
  ASSERT_TRUE(shop) << shop.error().describe();
  ASSERT_TRUE(store->create_relationship(shop->id, "depends_on", curl, "alice"));
  ASSERT_TRUE(store->create_relationship(shop->id, "runs_on", a3, "alice"));
  auto impact = store->ci_impact(a1);
  ASSERT_TRUE(impact) << impact.error().describe();
  std::vector<std::int64_t> affected;
  for (const auto& a : impact->affected) affected.push_back(a.ci.id);
  EXPECT_EQ(affected, (std::vector<std::int64_t>{shop->id}));
  ASSERT_EQ(impact->affected[0].path.size(), 2u);
  EXPECT_EQ(impact->affected[0].path[0].via.type, "installed_on");
  EXPECT_EQ(impact->affected[0].path[0].via.id, 0);  // the inventory's: no id
  EXPECT_EQ(to_json(*impact)["affected"][0]["path"][0]["relationship"]["id"], nullptr);

  // A change to curl itself reaches both its hosts, and shop.
  impact = store->ci_impact(curl);
  ASSERT_TRUE(impact) << impact.error().describe();
  affected.clear();
  for (const auto& a : impact->affected) affected.push_back(a.ci.id);
  std::sort(affected.begin(), affected.end());
  EXPECT_EQ(affected, (std::vector<std::int64_t>{a1, a2, shop->id}));

  // The planner: a3 (shop's host) after the hosts of what shop depends on.
  auto facts = store->cmdb_host_facts();
  ASSERT_TRUE(facts) << facts.error().describe();
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(facts->depends_on, (Pairs{{"a3", "a1"}, {"a3", "a2"}}));

  // A report without curl removes both ends' view of it.
  full("a1", document("web-01", json::array(), json::array()), h3);
  rels = store->ci_relationships(curl);
  ASSERT_TRUE(rels);
  hosts.clear();
  for (const auto& r : *rels) {
    if (r.edge.type == "installed_on") hosts.push_back(r.edge.to.id);
  }
  EXPECT_EQ(hosts, (std::vector<std::int64_t>{a2}));
}

TEST_P(SqlStoreInventoryTest, ADeltaTouchesOnlyWhatItChangesAndKeepsTheHistory) {
  auto before = document(
      "web-01", json::array({package("bash", "5.2"), package("curl", "7.88"), package("zsh", "5")}),
      json::array({disk("sda", "S1")}));
  protocol::normalize_inventory(before);
  full("a1", before, h1);
  auto host = host_ci("a1");
  auto after = document(
      "web-01", json::array({package("curl", "8.0"), package("htop", "3.2"), package("zsh", "5")}),
      json::array({disk("sda", "S1")}));
  protocol::normalize_inventory(after);
  delta("a1", before, after, h1, h2);

  EXPECT_TRUE(running("bash", std::nullopt).empty());
  EXPECT_EQ(running("curl", std::nullopt), std::vector<std::string>{"a1=8.0"});
  EXPECT_EQ(running("htop", "3.2"), std::vector<std::string>{"a1=3.2"});

  auto htop = ci_by_name("software", "htop 3.2 amd64");
  auto changes = store->inventory_changes(htop.id, Page{10, 0});
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].action, "software.installed");
  EXPECT_EQ((*changes)[0].report_hash, h2);
  EXPECT_EQ((*changes)[0].host_ci_id, host);
  auto curl8 = ci_by_name("software", "curl 8.0 amd64");
  auto curl_changes = store->inventory_changes(curl8.id, Page{10, 0});
  ASSERT_TRUE(curl_changes);
  ASSERT_EQ(curl_changes->size(), 1u);
  EXPECT_EQ((*curl_changes)[0].action, "software.changed");
  EXPECT_EQ(json::parse((*curl_changes)[0].detail_json)["from_version"], "7.88");
  auto bash = ci_by_name("software", "bash 5.2 amd64");
  EXPECT_EQ(actions(bash.id), std::vector<std::string>{"software.removed"});
  EXPECT_EQ(bash.state.stage, "production");  // the software CI stays: other hosts may run it

  // Untouched: zsh's relationship is the first report's, and no hardware changed.
  auto rels = store->ci_relationships(ci_by_name("software", "zsh 5 amd64").id);
  ASSERT_TRUE(rels);
  ASSERT_EQ(rels->size(), 1u);
  EXPECT_EQ((*rels)[0].edge.to.id, host);
  EXPECT_EQ((*rels)[0].created_at, 200);  // the first report's (the delta's is 300)
  auto sda = ci_by_name("hardware", "web-01 sda");
  EXPECT_EQ(sda.version, 1);
  auto hist = actions(host);
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "hardware.changed"), 0);
}

// An item that changes without a new version (here its installed size) keeps its software CI:
// the host's installed_on row stays as it was (same since), no history, no second alert.
TEST_P(SqlStoreInventoryTest, AnItemChangedWithoutANewVersionLeavesTheCmdbAsItWas) {
  auto bigger = [](json p) {
    p["installed_size_kib"] = 20;
    return p;
  };
  auto before = document(
      "web-01", json::array({package("bash", "5.2"), package("telnetd", "0.17")}), json::array());
  protocol::normalize_inventory(before);
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto plan = inventory::plan_full("a1", before);
  plan.blacklist = {"telnetd"};
  ASSERT_TRUE(store->record_inventory("a1", {"web-01", "", before.dump(), h1, "", plan, {}}, 200));
  auto after = document("web-01",
                        json::array({bigger(package("bash", "5.2")),
                                     bigger(package("telnetd", "0.17")), package("htop", "3.2")}),
                        json::array());
  protocol::normalize_inventory(after);
  auto changes = protocol::diff_inventory(before, after);
  ASSERT_EQ(changes.items.size(), 1u);
  ASSERT_EQ(changes.items[0].changed.size(), 2u);
  auto delta_plan = inventory::plan_delta("a1", changes, after);
  delta_plan.blacklist = {"telnetd"};
  ASSERT_TRUE(
      store->record_inventory("a1", {"web-01", "", after.dump(), h2, h1, delta_plan, {}}, 300));

  auto bash = store->hosts_running("bash", std::nullopt, Page{10, 0});
  ASSERT_TRUE(bash);
  ASSERT_EQ(bash->size(), 1u);
  EXPECT_EQ((*bash)[0].version, "5.2");
  EXPECT_EQ((*bash)[0].since, 200);  // the full report's row, not a new one
  EXPECT_TRUE(actions(ci_by_name("software", "bash 5.2 amd64").id).empty());
  EXPECT_TRUE(actions(ci_by_name("software", "telnetd 0.17 amd64").id).empty());
  EXPECT_EQ(actions(ci_by_name("software", "htop 3.2 amd64").id),
            std::vector<std::string>{"software.installed"});
  auto audit = store->list_audit(AuditQuery{}, Page{500, 0});
  ASSERT_TRUE(audit);
  EXPECT_EQ(
      std::count_if(audit->begin(), audit->end(),
                    [](const auto& e) { return e.action == "inventory.blacklisted_software"; }),
      1);
}

TEST_P(SqlStoreInventoryTest, HardwareThatLeavesGoesToTheStoreAndComesBackWithHistory) {
  auto with = document("web-01", json::array(), json::array({disk("sda", "S1")}));
  auto without = document("web-01", json::array(), json::array());
  protocol::normalize_inventory(with);
  protocol::normalize_inventory(without);
  full("a1", with, h1);
  delta("a1", with, without, h1, h2);
  auto sda = ci_by_name("hardware", "web-01 sda");
  EXPECT_EQ(sda.state.stage, "in_store");
  auto history = store->ci_history(sda.id, Page{10, 0});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].state.stage, "in_store");
  EXPECT_EQ((*history)[0].changed_by, "inventory:" + h2);
  EXPECT_EQ(actions(sda.id), (std::vector<std::string>{"hardware.removed", "hardware.added"}));
  auto rels = store->ci_relationships(sda.id);
  ASSERT_TRUE(rels);
  EXPECT_TRUE(rels->empty());

  // People move it back by hand (a stage move with its version) ...
  cmdb::CiPatch back;
  back.expected_version = sda.version;
  back.stage = "production";
  auto moved = store->update_ci(sda.id, back, "alice");
  ASSERT_TRUE(moved) << moved.error().describe();
  back.expected_version = moved->version;
  back.stage = "in_store";
  ASSERT_TRUE(store->update_ci(sda.id, back, "alice"));
  // ... and the disk turning up in another host's report puts it back in service there.
  full("a2", document("db-01", json::array(), json::array({disk("sdb", "S1")})), h3);
  sda = ci_by_name("hardware", "db-01 sdb");
  EXPECT_EQ(sda.state.stage, "production");
  EXPECT_EQ(sda.state.attributes["serial"], "S1");
  rels = store->ci_relationships(sda.id);
  ASSERT_TRUE(rels);
  ASSERT_EQ(rels->size(), 1u);
  EXPECT_EQ((*rels)[0].edge.to.id, host_ci("a2"));
}

TEST_P(SqlStoreInventoryTest, AFullReportAfterADriftRecordsTheDifferenceOnly) {
  full(
      "a1",
      document("web-01", json::array({package("bash", "5.2"), package("vim", "9")}), json::array()),
      h1);
  full(
      "a1",
      document("web-01", json::array({package("bash", "5.3"), package("vim", "9")}), json::array()),
      h2);
  auto hist = actions(host_ci("a1"));
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "software.changed"), 1);
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "software.installed"), 0);
  EXPECT_EQ(std::count(hist.begin(), hist.end(), "software.removed"), 0);
  EXPECT_EQ(running("bash", std::nullopt), std::vector<std::string>{"a1=5.3"});
}

TEST_P(SqlStoreInventoryTest, ManyPackagesGoThroughTheBatches) {
  json packages = json::array();
  for (int i = 0; i < 250; ++i) packages.push_back(package("p" + std::to_string(i), "1"));
  full("a1", document("web-01", packages, json::array()), h1);
  EXPECT_EQ(running("p249", "1"), std::vector<std::string>{"a1=1"});
  packages.erase(packages.begin(), packages.begin() + 120);
  full("a1", document("web-01", packages, json::array()), h2);
  auto hist = store->inventory_changes(host_ci("a1"), Page{500, 0});
  ASSERT_TRUE(hist);
  EXPECT_EQ(std::count_if(hist->begin(), hist->end(),
                          [](const InventoryChange& c) { return c.action == "software.removed"; }),
            120);
}

TEST_P(SqlStoreInventoryTest, ABlacklistedPackageAppearingIsAuditedOnce) {
  auto alerts = [&] {
    auto audit = store->list_audit(AuditQuery{}, Page{500, 0});
    EXPECT_TRUE(audit);
    std::vector<json> out;
    for (const auto& e : *audit) {
      if (e.action == "inventory.blacklisted_software") out.push_back(json::parse(e.detail_json));
    }
    return out;
  };
  auto doc = document("web-01", json::array({package("telnetd", "0.17"), package("bash", "5")}),
                      json::array());
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto plan = inventory::plan_full("a1", doc);
  plan.blacklist = {"telnetd"};
  ASSERT_TRUE(store->record_inventory("a1", {"web-01", "", doc.dump(), h1, "", plan, {}}, 200));
  auto found = alerts();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["package"], "telnetd");
  EXPECT_EQ(found[0]["version"], "0.17");
  EXPECT_EQ(found[0]["report"], h1);
  // Still there in the next report: no new alert (it is not new on the host).
  ASSERT_TRUE(store->record_inventory("a1", {"web-01", "", doc.dump(), h2, "", plan, {}}, 300));
  EXPECT_EQ(alerts().size(), 1u);
}

TEST_P(SqlStoreInventoryTest, HistoryOfAnUnknownCiIsRefused) {
  auto r = store->inventory_changes(999, Page{10, 0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "cmdb.ci_not_found");
}

// Through the controller's intake: a report is stored as a skeleton plus collection parts, reads
// back whole, and a delta changes only the parts holding its items.
TEST_P(SqlStoreInventoryTest, ReportsAreStoredInPartsAndReadBackWhole) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  json packages = json::array();
  for (int i = 0; i < 300; ++i) packages.push_back(package("pkg-" + std::to_string(i), "1"));
  protocol::InventoryReport r{
      "web1", "debian",
      "12",   "Debian 12",
      "6.1",  "x86_64",
      "Xeon", 4,
      2048,   document("web1", packages, json::array({disk("sda", "S1")})).at("facts"),
      ""};
  r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
  auto ack = accept_inventory_report(*store, "a1", r, 200);
  ASSERT_TRUE(ack) << ack.error().describe();
  ASSERT_TRUE(std::holds_alternative<protocol::InventoryAck>(*ack));
  auto whole = state_of("a1", std::nullopt);
  ASSERT_TRUE(whole && *whole);
  EXPECT_EQ((*whole)->hash, r.hash);
  EXPECT_GT((*whole)->collections.size(), 32u);  // 300 packages over the buckets
  EXPECT_EQ(json::parse((*store->get_host("a1"))->inventory_json), protocol::inventory_document(r));
  auto listed = store->list_hosts(Page{10, 0}, HostQuery{});
  ASSERT_TRUE(listed && listed->size() == 1);
  EXPECT_EQ(json::parse(listed->front().inventory_json), protocol::inventory_document(r));
  HostQuery bare;
  bare.inventory = false;  // a list that shows no inventory does not assemble it
  listed = store->list_hosts(Page{10, 0}, bare);
  ASSERT_TRUE(listed && listed->size() == 1);
  EXPECT_EQ(listed->front().inventory_json, "");
  EXPECT_EQ(listed->front().inventory_hash, r.hash);

  auto next = r;
  next.facts["software"]["dpkg"]["packages"][7]["version"] = "2";
  next.facts["software"]["dpkg"]["packages"].push_back(package("zzz", "1"));
  next.hash = *protocol::inventory_hash(protocol::inventory_document(next));
  auto changes =
      protocol::diff_inventory(protocol::inventory_document(r), protocol::inventory_document(next));
  auto parts = inventory::collections_needed(changes, false);
  ASSERT_TRUE(parts);
  auto loaded = state_of("a1", parts);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_LE((*loaded)->collections.size(), 2u);
  auto answer = accept_inventory_delta(*store, "a1", {r.hash, next.hash, changes}, 300);
  ASSERT_TRUE(answer) << answer.error().describe();
  ASSERT_TRUE(std::holds_alternative<protocol::InventoryAck>(*answer))
      << protocol::encode_message(*answer);
  EXPECT_EQ(json::parse((*store->get_host("a1"))->inventory_json),
            protocol::inventory_document(next));
  EXPECT_EQ(running("zzz", "1").size(), 1u);
  EXPECT_EQ(running("pkg-7", "2").size(), 1u);
  EXPECT_TRUE(running("pkg-7", "1").empty());
}

// A delta's read, apply and store run in one transaction: apply sees the stored report, and
// only the update it returns is stored.
TEST_P(SqlStoreInventoryTest, UpdateInventoryStoresOnlyWhatApplyReturns) {
  full("a1", document("web-01", json::array({package("curl", "7.88")}), json::array()), h1);
  using Apply = Result<std::optional<InventoryUpdate>>;
  bool saw_none = false;
  auto none = store->update_inventory("ghost", std::nullopt, 300,
                                      [&](std::optional<StoredInventoryRecord> s) -> Apply {
                                        saw_none = !s.has_value();
                                        return std::optional<InventoryUpdate>();
                                      });
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_TRUE(saw_none);

  std::string seen_hash;
  auto nothing = store->update_inventory("a1", std::nullopt, 300,
                                         [&](std::optional<StoredInventoryRecord> s) -> Apply {
                                           if (s) seen_hash = s->hash;
                                           return std::optional<InventoryUpdate>();
                                         });
  ASSERT_TRUE(nothing);
  EXPECT_EQ(seen_hash, h1);
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, h1);

  auto next = document("web-01", json::array({package("curl", "8.0")}), json::array());
  auto update_to_next = [&] {
    return InventoryUpdate{
        "web-01", "debian", next.dump(), h2, h1, inventory::plan_full("a1", next), {}};
  };
  auto refused =
      store->update_inventory("a1", std::nullopt, 300, [&](std::optional<StoredInventoryRecord>) {
        return Apply(fail("test.refused", "apply says no"));
      });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "test.refused");
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, h1);

  // An update whose base is not the stored report: refused by the store, nothing half-written.
  auto stale = store->update_inventory("a1", std::nullopt, 300,
                                       [&](std::optional<StoredInventoryRecord>) -> Apply {
                                         auto u = update_to_next();
                                         u.base_hash = h3;
                                         return std::optional<InventoryUpdate>(std::move(u));
                                       });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "inventory.base_mismatch");
  EXPECT_EQ(running("curl", std::nullopt), std::vector<std::string>{"a1=7.88"});

  auto stored = store->update_inventory("a1", std::nullopt, 300,
                                        [&](std::optional<StoredInventoryRecord>) -> Apply {
                                          return std::optional<InventoryUpdate>(update_to_next());
                                        });
  ASSERT_TRUE(stored) << stored.error().describe();
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, h2);
  EXPECT_EQ(running("curl", std::nullopt), std::vector<std::string>{"a1=8.0"});
}

// Group commit: several hosts' updates in one transaction. Each job reads what the jobs before
// it stored; a job whose apply fails stores nothing and leaves the others alone; a job whose store
// fails (a name the database refuses, after its software CIs were written) rolls the batch back,
// and the other jobs are stored again together without it.
TEST_P(SqlStoreInventoryTest, UpdateInventoriesGivesEachJobItsOwnAnswer) {
  for (const char* agent : {"a1", "a2", "a3", "a4"}) {
    full(agent, document(agent, json::array({package("curl", "7.88")}), json::array()), h1);
  }
  using Apply = Result<std::optional<InventoryUpdate>>;
  auto to = [&](const std::string& agent, const std::string& version, const std::string& base,
                const std::string& hash) {
    auto next = document(agent, json::array({package("curl", version)}), json::array());
    return InventoryUpdate{
        agent, "debian", next.dump(), hash, base, inventory::plan_full(agent, next), {}};
  };
  auto job = [](const std::string& agent, Store::InventoryApply apply) {
    Store::InventoryJob j;
    j.agent_id = agent;
    j.apply = std::move(apply);
    return j;
  };
  std::string second_saw;
  std::vector<Store::InventoryJob> jobs;
  jobs.push_back(job("a1", [&](std::optional<StoredInventoryRecord>) -> Apply {
    return std::optional<InventoryUpdate>(to("a1", "8.0", h1, h2));
  }));
  jobs.push_back(job("a1", [&](std::optional<StoredInventoryRecord> s) -> Apply {
    second_saw = s ? s->hash : "";
    return std::optional<InventoryUpdate>(to("a1", "8.1", h2, h3));
  }));
  jobs.push_back(job("a2", [&](std::optional<StoredInventoryRecord>) -> Apply {
    return Apply(fail("test.refused", "apply says no"));
  }));
  jobs.push_back(job("a3", [&](std::optional<StoredInventoryRecord>) -> Apply {
    return std::optional<InventoryUpdate>(to("a3", "8.0", h1, h2));
  }));
  store->update_inventories(jobs, 300);
  ASSERT_TRUE(jobs[0].result) << jobs[0].result.error().describe();
  ASSERT_TRUE(jobs[1].result) << jobs[1].result.error().describe();
  EXPECT_EQ(second_saw, h2);  // the first job's update, in the same transaction
  ASSERT_FALSE(jobs[2].result);
  EXPECT_EQ(jobs[2].result.error().code, "test.refused");
  ASSERT_TRUE(jobs[3].result) << jobs[3].result.error().describe();
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, h3);
  EXPECT_EQ((*store->get_host("a2"))->inventory_hash, h1);
  EXPECT_EQ((*store->get_host("a3"))->inventory_hash, h2);
  EXPECT_EQ(running("curl", std::nullopt),
            (std::vector<std::string>{"a1=8.1", "a2=7.88", "a3=8.0", "a4=7.88"}));

  // A job that fails while storing: the others are stored on their own, it is not.
  int runs = 0;
  jobs.clear();
  jobs.push_back(job("a2", [&](std::optional<StoredInventoryRecord>) -> Apply {
    ++runs;
    return std::optional<InventoryUpdate>(to("a2", "9.0", h1, h2));
  }));
  jobs.push_back(job("a4", [&](std::optional<StoredInventoryRecord>) -> Apply {
    auto u = to("a4", "9.0", h1, h2);
    u.plan->hardware_items.push_back(
        {"agent:a4/bad", std::string("bad\0", 4), json{{"kind", "cpu"}}});
    return std::optional<InventoryUpdate>(std::move(u));
  }));
  jobs.push_back(job("a3", [&](std::optional<StoredInventoryRecord>) -> Apply {
    return std::optional<InventoryUpdate>(to("a3", "9.0", h2, h3));
  }));
  store->update_inventories(jobs, 400);
  EXPECT_EQ(runs, 2);  // in the batch, and again without the failing job
  ASSERT_TRUE(jobs[0].result) << jobs[0].result.error().describe();
  EXPECT_FALSE(jobs[1].result);
  ASSERT_TRUE(jobs[2].result) << jobs[2].result.error().describe();
  EXPECT_EQ((*store->get_host("a4"))->inventory_hash, h1);
  EXPECT_EQ(running("curl", std::nullopt),
            (std::vector<std::string>{"a1=8.1", "a2=9.0", "a3=9.0", "a4=7.88"}));
  EXPECT_TRUE(running("curl", "9.0").size() == 2u);
}

// When the database itself fails (here: a table the reads need is gone), every job gets that
// error and nothing is stored; no job is tried again on its own.
TEST_P(SqlStoreInventoryTest, UpdateInventoriesGivesEveryJobTheDatabasesError) {
  for (const char* agent : {"a1", "a2"}) {
    full(agent, document(agent, json::array({package("curl", "7.88")}), json::array()), h1);
  }
  auto raw = conn();
  ASSERT_TRUE(raw);
  ASSERT_TRUE(raw->exec("DROP TABLE inventory_collections"));
  int applied = 0;
  std::vector<Store::InventoryJob> jobs(2);
  for (auto* agent : {"a1", "a2"}) {
    auto& j = jobs[agent[1] == '1' ? 0 : 1];
    j.agent_id = agent;
    j.apply = [&](std::optional<StoredInventoryRecord>) -> Result<std::optional<InventoryUpdate>> {
      ++applied;
      return std::optional<InventoryUpdate>();
    };
  }
  store->update_inventories(jobs, 300);
  EXPECT_EQ(applied, 0);  // the read failed before any apply
  for (const auto& j : jobs) {
    ASSERT_FALSE(j.result);
    EXPECT_TRUE(j.result.error().code.starts_with("store.")) << j.result.error().describe();
  }
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, h1);
}

// A delta that touches hardware loads the whole disk and network collections (not only the
// parts of its items) so the hardware CIs are reconciled from the complete list.
TEST_P(SqlStoreInventoryTest, AHardwareDeltaReconcilesFromTheWholeDiskList) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  json disks = json::array();
  for (int i = 0; i < 20; ++i)
    disks.push_back(disk("sd" + std::to_string(i), "S" + std::to_string(i)));
  auto facts = document("web1", json::array({package("bash", "5")}), disks).at("facts");
  protocol::InventoryReport r{"web1", "debian", "12", "Debian 12", "6.1", "x86_64",
                              "Xeon", 4,        2048, facts,       ""};
  r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
  ASSERT_TRUE(accept_inventory_report(*store, "a1", r, 200));
  auto next = r;
  next.facts["disks"]["disks"].push_back(disk("sdz", "SZ"));
  next.hash = *protocol::inventory_hash(protocol::inventory_document(next));
  auto changes =
      protocol::diff_inventory(protocol::inventory_document(r), protocol::inventory_document(next));
  auto answer = accept_inventory_delta(*store, "a1", {r.hash, next.hash, changes}, 300);
  ASSERT_TRUE(answer) << answer.error().describe();
  ASSERT_TRUE(std::holds_alternative<protocol::InventoryAck>(*answer))
      << protocol::encode_message(*answer);
  EXPECT_EQ(ci_by_name("hardware", "web1 sdz").source_key, "disk:SZ");
  // Every other disk is still part of the host: none went to the store for being unloaded.
  EXPECT_EQ(ci_by_name("hardware", "web1 sd7").state.stage, "production");
  int parts = 0;
  auto rels = store->ci_relationships(host_ci("a1"));  // held: a loop over *temporary dangles
  ASSERT_TRUE(rels) << rels.error().describe();
  for (const auto& rel : *rels) {
    if (rel.edge.type == "part_of") ++parts;
  }
  EXPECT_EQ(parts, 24);  // cpu, memory, 21 disks, eth0
}

// The store caches software CI ids only once they are committed: a report whose transaction
// fails leaves no id behind, and the next report creates the CIs again.
TEST_P(SqlStoreInventoryTest, ARolledBackReportLeavesNoCachedSoftwareIds) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto doc = document("web1", json::array({package("fresh", "1")}), json::array());
  auto plan = inventory::plan_full("a1", doc);
  // A name the store refuses (NUL), written after the software CIs: the transaction fails.
  plan.hardware_items.push_back({"agent:a1/bad", std::string("bad\0", 4), json{{"kind", "cpu"}}});
  InventoryUpdate bad{"web1", "debian", doc.dump(), "h1", "", plan, {}};
  EXPECT_FALSE(store->record_inventory("a1", bad, 200));
  EXPECT_TRUE(running("fresh", "1").empty());
  full("a1", doc, "h2");
  EXPECT_EQ(running("fresh", "1").size(), 1u);
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreInventoryTest);

// A host's dpkg, rpm and relman items live in their installed rows (migration 26), through the
// intake as agents use it: full reports, deltas, refusals and reads.
class InventoryRowsTest : public SqlStoreInventoryTest {
 protected:
  static json rpm(const std::string& name, const std::string& version, const std::string& release) {
    return json{
        {"name", name}, {"version", version}, {"release", release}, {"architecture", "x86_64"}};
  }

  static protocol::InventoryReport report(json dpkg, json rpms = json::array()) {
    auto facts = document("web1", std::move(dpkg), json::array({disk("sda", "S1")})).at("facts");
    facts["software"]["rpm"] = {{"packages", std::move(rpms)}};
    facts["services"] = {{"units", json::array({{{"name", "ssh.service"}, {"state", "running"}}})}};
    protocol::InventoryReport r{"web1", "debian", "12", "Debian 12",      "6.1", "x86_64",
                                "Xeon", 4,        2048, std::move(facts), ""};
    r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
    return r;
  }

  static protocol::InventoryReport with(protocol::InventoryReport r, const std::string& list,
                                        json packages) {
    r.facts["software"][list]["packages"] = std::move(packages);
    r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
    return r;
  }

  void send_full(const protocol::InventoryReport& r) {
    auto ack = accept_inventory_report(*store, "a1", r, 200);
    ASSERT_TRUE(ack) << ack.error().describe();
    ASSERT_TRUE(std::holds_alternative<protocol::InventoryAck>(*ack));
    expect_stored(r);
  }

  // The delta from `base` to `next`: true when acknowledged, false when it asks for a full report.
  bool send_delta(const protocol::InventoryReport& base, const protocol::InventoryReport& next) {
    auto changes = protocol::diff_inventory(protocol::inventory_document(base),
                                            protocol::inventory_document(next));
    auto answer = accept_inventory_delta(*store, "a1", {base.hash, next.hash, changes}, 300);
    EXPECT_TRUE(answer) << answer.error().describe();
    if (!answer) return false;
    if (std::holds_alternative<protocol::InventoryRequest>(*answer)) {
      EXPECT_TRUE(std::get<protocol::InventoryRequest>(*answer).full);
      expect_stored(base);  // nothing of it stored
      return false;
    }
    EXPECT_TRUE(std::holds_alternative<protocol::InventoryAck>(*answer));
    expect_stored(next);
    return true;
  }

  void expect_stored(const protocol::InventoryReport& r) {
    auto host = store->get_host("a1");
    ASSERT_TRUE(host && *host);
    EXPECT_EQ((*host)->inventory_hash, r.hash);
    EXPECT_EQ(json::parse((*host)->inventory_json), protocol::inventory_document(r));
  }

  std::int64_t number(const std::string& sql) {
    auto c = conn();
    auto st = c->prepare(sql);
    EXPECT_TRUE(st) << st.error().describe();
    if (!st) return -1;
    auto row = st->step();
    EXPECT_TRUE(row && *row);
    return row && *row ? st->int64(0) : -1;
  }
  std::int64_t layout() {
    return number("SELECT inventory_layout FROM hosts WHERE agent_id = 'a1'");
  }
  std::int64_t software_parts() {
    return number("SELECT COUNT(*) FROM inventory_collections WHERE path LIKE '/facts/software/%'");
  }
  std::int64_t other_parts() {
    return number(
        "SELECT COUNT(*) FROM inventory_collections WHERE path NOT LIKE '/facts/software/%'");
  }
  std::int64_t lined_rows() {
    return number("SELECT COUNT(*) FROM inventory_installed WHERE line IS NOT NULL");
  }
};

TEST_P(InventoryRowsTest, SoftwareItemsLiveInTheirRowsThroughFullReportsAndDeltas) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  json debs = json::array();
  for (int i = 0; i < 200; ++i) debs.push_back(package("pkg-" + std::to_string(i), "1"));
  auto r1 = report(debs, json::array({rpm("zsh", "5.9", "1"), rpm("zsh", "5.8", "3")}));
  send_full(r1);
  EXPECT_EQ(layout(), 1);
  EXPECT_EQ(software_parts(), 0);  // stored once: in the rows
  EXPECT_GT(other_parts(), 0);     // disks, interfaces, services stay in parts
  EXPECT_EQ(lined_rows(), 202);

  // Added, removed, a new version, a change without a new version, in two lists at once.
  auto next_debs = debs;
  next_debs[3]["version"] = "2";
  next_debs[4]["installed_size_kib"] = 99;
  next_debs.erase(next_debs.begin() + 5);
  next_debs.push_back(package("htop", "3.2"));
  auto r2 = with(with(r1, "dpkg", next_debs), "rpm", json::array({rpm("zsh", "5.9", "1")}));
  ASSERT_TRUE(send_delta(r1, r2));
  EXPECT_EQ(layout(), 1);
  EXPECT_EQ(software_parts(), 0);
  EXPECT_EQ(lined_rows(), 201);
  EXPECT_EQ(running("pkg-3", std::nullopt), std::vector<std::string>{"a1=2"});
  EXPECT_TRUE(running("pkg-5", std::nullopt).empty());
  EXPECT_EQ(running("zsh", std::nullopt), std::vector<std::string>{"a1=5.9-1"});
  EXPECT_EQ(actions(ci_by_name("software", "pkg-3 2 amd64").id),
            std::vector<std::string>{"software.changed"});

  // The changed item's new line is what the next delta builds on: removing it checks out.
  next_debs.erase(next_debs.begin() + 4);
  auto r3 = with(r2, "dpkg", next_debs);
  ASSERT_TRUE(send_delta(r2, r3));
  EXPECT_TRUE(running("pkg-4", std::nullopt).empty());

  // A full report of the same host: nothing changes, every line still right.
  send_full(r3);
  EXPECT_EQ(lined_rows(), 200);
  auto r4 = with(r3, "dpkg", json::array({package("only", "1")}));
  ASSERT_TRUE(send_delta(r3, r4));
  EXPECT_EQ(lined_rows(), 2);
}

TEST_P(InventoryRowsTest, AHostStoredInPartsMovesToItsRowsAtItsNextFullReport) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  json debs = json::array();
  for (int i = 0; i < 50; ++i) debs.push_back(package("pkg-" + std::to_string(i), "1"));
  auto r1 = report(debs);
  send_full(r1);
  // As a host stored before migration 26 is: its software items in parts, no lines in its rows.
  auto split = inventory::split_inventory(protocol::inventory_document(r1));
  ASSERT_TRUE(split);
  auto c = conn();
  ASSERT_TRUE(
      c->exec("UPDATE hosts SET inventory_layout = 0; UPDATE inventory_installed SET "
              "line = NULL;"));
  for (const auto& [part, items] : split->collections) {
    if (!part.first.starts_with("/facts/software/")) continue;
    auto st = c->prepare(
        "INSERT INTO inventory_collections(agent_id, path, bucket, items) "
        "VALUES('a1', ?, ?, ?)");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->bind(1, part.first).bind(2, std::int64_t{part.second}).bind(3, items).run());
  }
  c.reset();
  ASSERT_GT(software_parts(), 0);
  expect_stored(r1);

  debs[7]["version"] = "2";
  auto r2 = with(r1, "dpkg", debs);
  ASSERT_TRUE(send_delta(r1, r2));  // on its parts, as before
  EXPECT_EQ(layout(), 0);
  EXPECT_EQ(lined_rows(), 0);

  send_full(r2);
  EXPECT_EQ(layout(), 1);
  EXPECT_EQ(software_parts(), 0);
  EXPECT_EQ(lined_rows(), 50);
  debs[8]["version"] = "2";
  auto r3 = with(r2, "dpkg", debs);
  ASSERT_TRUE(send_delta(r2, r3));
}

TEST_P(InventoryRowsTest, ItemsThatCannotHaveARowOfTheirOwnKeepTheHostInParts) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto debs = json::array({package("bash", "5.2")});
  // Two rpm items of one software CI (zsh 5.9-1): one row cannot keep both.
  auto r1 = report(debs, json::array({rpm("zsh", "5.9-1", ""), rpm("zsh", "5.9", "1")}));
  send_full(r1);
  EXPECT_EQ(layout(), 0);
  EXPECT_GT(software_parts(), 0);
  EXPECT_EQ(running("zsh", std::nullopt), std::vector<std::string>{"a1=5.9-1"});
  auto r2 = with(r1, "dpkg", json::array({package("bash", "5.3")}));
  ASSERT_TRUE(send_delta(r1, r2));
  EXPECT_EQ(layout(), 0);

  // Rid of the pair, the host moves to its rows; a delta bringing such a pair back is refused
  // and the full report that follows keeps the host in parts.
  auto r3 = with(r2, "rpm", json::array({rpm("zsh", "5.9", "1")}));
  send_full(r3);
  EXPECT_EQ(layout(), 1);
  auto r4 = with(r3, "rpm", json::array({rpm("zsh", "5.9-1", ""), rpm("zsh", "5.9", "1")}));
  EXPECT_FALSE(send_delta(r3, r4));
  send_full(r4);
  EXPECT_EQ(layout(), 0);

  // An item without a name makes no software CI: it stays in parts. A delta that brings one is
  // a new list (items without their key fields are not keyed), which goes to parts too.
  auto r5 = with(r4, "rpm", json::array({rpm("zsh", "5.9", "1")}));
  send_full(r5);
  EXPECT_EQ(layout(), 1);
  auto nameless = json{{"version", "1"}, {"architecture", "amd64"}};
  auto r6 = with(r5, "dpkg", json::array({package("bash", "5.3"), nameless}));
  ASSERT_TRUE(send_delta(r5, r6));
  EXPECT_EQ(layout(), 0);
  send_full(r6);
  EXPECT_EQ(layout(), 0);
  send_full(r5);
  EXPECT_EQ(layout(), 1);
  // A name that is not text makes no software CI either; added as an item, it is refused.
  auto r7 = with(r5, "dpkg", json::array({package("bash", "5.3"), package("7", "1")}));
  r7.facts["software"]["dpkg"]["packages"][1]["name"] = 7;
  r7.hash = *protocol::inventory_hash(protocol::inventory_document(r7));
  EXPECT_FALSE(send_delta(r5, r7));
  send_full(r7);
  EXPECT_EQ(layout(), 0);
}

TEST_P(InventoryRowsTest, ADeltaThatReplacesASoftwareListPutsItInParts) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto r1 = report(json::array({package("bash", "5.2"), package("curl", "7.88")}));
  r1.facts["software"].erase("rpm");
  r1.hash = *protocol::inventory_hash(protocol::inventory_document(r1));
  send_full(r1);
  EXPECT_EQ(layout(), 1);
  // rpm appears: the delta sets the whole list.
  auto r2 = with(r1, "rpm", json::array({rpm("zsh", "5.9", "1")}));
  ASSERT_TRUE(send_delta(r1, r2));
  EXPECT_EQ(layout(), 0);
  EXPECT_GT(software_parts(), 0);
  EXPECT_EQ(running("zsh", std::nullopt), std::vector<std::string>{"a1=5.9-1"});
  auto r3 = with(r2, "dpkg", json::array({package("bash", "5.3"), package("curl", "7.88")}));
  ASSERT_TRUE(send_delta(r2, r3));
  send_full(r3);
  EXPECT_EQ(layout(), 1);
  EXPECT_EQ(software_parts(), 0);
}

TEST_P(InventoryRowsTest, ARowThatLostItsLineAsksForAFullReport) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto r1 = report(json::array({package("bash", "5.2"), package("curl", "7.88")}));
  send_full(r1);
  ASSERT_TRUE(
      conn()->exec("UPDATE inventory_installed SET line = NULL WHERE software_ci_id = "
                   "(SELECT ci_id FROM inventory_software WHERE name = 'curl')"));
  auto r2 = with(r1, "dpkg", json::array({package("bash", "5.2")}));
  auto changes =
      protocol::diff_inventory(protocol::inventory_document(r1), protocol::inventory_document(r2));
  auto answer = accept_inventory_delta(*store, "a1", {r1.hash, r2.hash, changes}, 300);
  ASSERT_TRUE(answer) << answer.error().describe();
  // The item is not where the delta looks for it: refused, not half applied.
  ASSERT_TRUE(std::holds_alternative<protocol::InventoryRequest>(*answer));
  EXPECT_EQ((*store->get_host("a1"))->inventory_hash, r1.hash);
  EXPECT_EQ(running("curl", std::nullopt), std::vector<std::string>{"a1=7.88"});
  send_full(r2);  // the full report the agent sends puts it right
  EXPECT_TRUE(running("curl", std::nullopt).empty());
  EXPECT_EQ(lined_rows(), 1);
}

// The store keeps a delta to where its software items are: one applied to the items in the
// installed rows is not stored once they are in parts (and the reverse), nor one whose plan
// brings no lines for the rows. Each answer says why, and nothing of it is stored.
TEST_P(InventoryRowsTest, AnUpdateForTheOtherLayoutOrWithoutLinesIsRefused) {
  ASSERT_TRUE(store->host_connected("a1", 100));
  auto r1 = report(json::array({package("bash", "5.2")}));
  send_full(r1);
  ASSERT_EQ(layout(), 1);
  auto r2 = with(r1, "dpkg", json::array({package("bash", "5.3")}));
  auto changes =
      protocol::diff_inventory(protocol::inventory_document(r1), protocol::inventory_document(r2));
  auto plan = inventory::plan_delta("a1", changes, json::object());
  ASSERT_EQ(plan.software_lines.size(), 1u);
  auto host = store->get_host("a1");
  ASSERT_TRUE(host && *host);
  InventoryUpdate u{"web1", "Debian 12", "{}", r2.hash, r1.hash, plan, {}};

  u.software_rows = false;  // applied as if the items were in parts
  auto parts = store->record_inventory("a1", u, 300);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, "inventory.base_mismatch");
  EXPECT_NE(parts.error().message.find("send a full report"), std::string::npos)
      << parts.error().message;

  u.software_rows = true;
  u.plan->software_lines.clear();  // rows, but no lines to keep in them
  auto bare = store->record_inventory("a1", u, 300);
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, "inventory.delta_invalid");

  expect_stored(r1);
  EXPECT_EQ(layout(), 1);
  EXPECT_EQ(running("bash", std::nullopt), std::vector<std::string>{"a1=5.2"});
}

RELMAN_INSTANTIATE_BACKENDS(InventoryRowsTest);

// A database from before migration 24: reports wrote installed_on into cmdb_relationships.
class OldInventoryDatabaseTest : public sql::BackendTest {};

TEST_P(OldInventoryDatabaseTest, ReportsInstalledOnMovesOutAndPeoplesStays) {
  {
    auto c = conn();
    ASSERT_TRUE(c);
    std::vector<sql::Migration> before;
    for (const auto& m : migrations::kAll) {
      // 26 came later than 24 and alters its table.
      if (m.version != 24 && m.version != 26 && m.version != 41) before.push_back(m);
    }
    ASSERT_TRUE(sql::migrate(*c, before));
    auto ci = [&](const std::string& cls, const std::string& name, const std::string& key) {
      return "INSERT INTO cmdb_cis(class, name, attributes_json, stage, owner_group, criticality, "
             "version, source_key, created_by, created_at, updated_by, updated_at) VALUES('" +
             cls + "', '" + name + "', '{}', 'production', '', '', 1, " + key +
             ", 'x', 1, 'x', 1);";
    };
    auto id = [&](const std::string& name) {
      return "(SELECT id FROM cmdb_cis WHERE name = '" + name + "')";
    };
    auto r = c->exec(
        ci("host", "web-01", "'agent:a1'") + ci("software", "curl 7.88 amd64", "'software:curl'") +
        ci("software", "libfoo 1", "NULL") +
        "INSERT INTO inventory_software(ci_id, manager, name, version, architecture) VALUES(" +
        id("curl 7.88 amd64") + ", 'dpkg', 'curl', '7.88', 'amd64');" +
        "INSERT INTO cmdb_relationships(from_id, type, to_id, created_by, created_at) VALUES(" +
        id("curl 7.88 amd64") + ", 'installed_on', " + id("web-01") + ", 'inventory:h1', 7);" +
        "INSERT INTO cmdb_relationships(from_id, type, to_id, created_by, created_at) VALUES(" +
        id("libfoo 1") + ", 'installed_on', " + id("web-01") + ", 'alice', 8);");
    ASSERT_TRUE(r) << r.error().describe();
  }
  auto s = on_postgres() ? SqlStore::open_postgresql(pg_target(), 2)
                         : SqlStore::open_sqlite(sqlite_file());
  ASSERT_TRUE(s) << s.error().describe();
  auto running = (*s)->hosts_running("curl", std::nullopt, Page{});
  ASSERT_TRUE(running) << running.error().describe();
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].agent_id, "a1");
  EXPECT_EQ((*running)[0].since, 7);

  cmdb::CiFilter f;
  f.class_name = "host";
  auto hosts = (*s)->list_cis(f, Page{});
  ASSERT_TRUE(hosts);
  ASSERT_EQ(hosts->size(), 1u);
  auto rels = (*s)->ci_relationships((*hosts)[0].id);
  ASSERT_TRUE(rels) << rels.error().describe();
  ASSERT_EQ(rels->size(), 2u);
  EXPECT_EQ((*rels)[0].edge.from.name, "libfoo 1");  // a person's: still a row with an id
  EXPECT_FALSE((*rels)[0].inventory);
  EXPECT_GT((*rels)[0].edge.id, 0);
  EXPECT_EQ((*rels)[0].created_by, "alice");
  EXPECT_EQ((*rels)[1].edge.from.name, "curl 7.88 amd64");  // the report's: moved
  EXPECT_TRUE((*rels)[1].inventory);
  EXPECT_EQ((*rels)[1].created_at, 7);
  auto c = conn();
  ASSERT_TRUE(c);
  auto left = c->prepare("SELECT COUNT(*) FROM cmdb_relationships");
  ASSERT_TRUE(left);
  ASSERT_TRUE(left->step());
  EXPECT_EQ(left->int64(0), 1);
}

// Migration 25 drops hosts(connected, last_seen), which every report moved and nothing read
// through; the stale filter of GET /hosts works the same without it.
TEST_P(OldInventoryDatabaseTest, TheLastSeenIndexGoesAndStaleHostsAreStillFound) {
  const std::string count_index =
      on_postgres() ? "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'hosts_last_seen'"
                    : "SELECT COUNT(*) FROM sqlite_master WHERE name = 'hosts_last_seen'";
  auto indexes = [&]() -> std::int64_t {
    auto c = conn();
    EXPECT_TRUE(c);
    if (!c) return -1;
    auto st = c->prepare(count_index);
    EXPECT_TRUE(st);
    if (!st) return -1;
    auto row = st->step();
    EXPECT_TRUE(row && *row);
    return st->int64(0);
  };
  {
    auto c = conn();
    ASSERT_TRUE(c);
    std::vector<sql::Migration> before;
    for (const auto& m : migrations::kAll) {
      if (m.version != 25) before.push_back(m);
    }
    ASSERT_TRUE(sql::migrate(*c, before));
  }
  EXPECT_EQ(indexes(), 1);
  auto s = on_postgres() ? SqlStore::open_postgresql(pg_target(), 2)
                         : SqlStore::open_sqlite(sqlite_file());
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(indexes(), 0);

  ASSERT_TRUE((*s)->host_connected("old", 100));
  ASSERT_TRUE((*s)->host_disconnected("old", 100));
  ASSERT_TRUE((*s)->host_connected("gone-now", 500));
  ASSERT_TRUE((*s)->host_disconnected("gone-now", 500));
  ASSERT_TRUE((*s)->host_connected("up", 100));
  auto listed = [&](bool stale) {
    std::vector<std::string> ids;
    auto hosts = (*s)->list_hosts(Page{}, HostQuery{400, stale, false});
    EXPECT_TRUE(hosts) << hosts.error().describe();
    if (hosts) {
      for (const auto& h : *hosts) ids.push_back(h.agent_id);
    }
    return ids;
  };
  EXPECT_EQ(listed(true), std::vector<std::string>{"old"});
  EXPECT_EQ(listed(false), (std::vector<std::string>{"gone-now", "up"}));
}

RELMAN_INSTANTIATE_BACKENDS(OldInventoryDatabaseTest);

}  // namespace
}  // namespace relman::controller
