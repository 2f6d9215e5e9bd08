// Software policies and the compliance report on a real database of each backend: policies
// stored, refused (unknown group, duplicate) and deleted with their audit entries, and hosts
// whose reported software misses a policy's package or is too old.
#include <gtest/gtest.h>

#include "controller/inventory/compliance_report.hpp"
#include "controller/inventory/reconcile_plan.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

class SqlStoreComplianceTest : public StoreBackendTest {
 protected:
  // A host whose agent reported these dpkg packages ({name, version}).
  void report(const std::string& agent,
              const std::vector<std::pair<std::string, std::string>>& pkgs) {
    ASSERT_TRUE(store->host_connected(agent, 100));
    json packages = json::array();
    for (const auto& [name, version] : pkgs) {
      packages.push_back({{"name", name}, {"version", version}, {"architecture", "amd64"}});
    }
    json doc{{"hostname", agent + ".example"},
             {"facts", {{"software", {{"dpkg", {{"packages", packages}}}}}}}};
    InventoryUpdate u{
        doc.value("hostname", ""),        "debian", doc.dump(), std::string(64, 'a'), "",
        inventory::plan_full(agent, doc), {}};
    auto r = store->record_inventory(agent, u, 200);
    ASSERT_TRUE(r) << r.error().describe();
  }

  std::int64_t group(const std::string& name) {
    cmdb::CiDraft d;
    d.class_name = "service";
    d.state.name = name;
    auto s = store->create_ci(d, "alice");
    EXPECT_TRUE(s) << s.error().describe();
    return s ? s->id : 0;
  }

  void part_of(const std::string& agent, std::int64_t group_id) {
    auto r = store->create_relationship(host_ci(agent), "part_of", group_id, "alice");
    ASSERT_TRUE(r) << r.error().describe();
  }

  Result<inventory::SoftwarePolicy> add(const std::string& group_name, const std::string& package,
                                        std::optional<std::string> min_version) {
    inventory::SoftwarePolicyDraft d{group_name, "dpkg", package, min_version, "because"};
    return store->create_software_policy(d, "alice");
  }
};

TEST_P(SqlStoreComplianceTest, PoliciesAreStoredAuditedAndDeleted) {
  group("web");
  auto p = add("web", "openssl", "3.0.11-1");
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->rule.group, "web");
  EXPECT_EQ(p->rule.min_version, "3.0.11-1");
  EXPECT_EQ(p->rule.note, "because");
  EXPECT_EQ(p->created_by, "alice");
  EXPECT_GT(p->created_at, 0);
  auto any = add("web", "curl", std::nullopt);
  ASSERT_TRUE(any) << any.error().describe();
  EXPECT_FALSE(any->rule.min_version);

  auto all = store->software_policies(std::nullopt);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, p->id);
  EXPECT_FALSE((*all)[1].rule.min_version);
  auto none = store->software_policies(std::string("db"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store->delete_software_policy(p->id, "bob"));
  auto gone = store->delete_software_policy(p->id, "bob");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "software_policy.not_found");
  EXPECT_EQ(store->software_policies(std::nullopt)->size(), 1u);

  AuditQuery q;
  q.action_prefix = "software_policy.";
  auto audit = store->list_audit(q, Page{});
  ASSERT_TRUE(audit) << audit.error().describe();
  ASSERT_EQ(audit->size(), 3u);
  std::vector<std::string> actions;
  for (const auto& a : *audit) actions.push_back(a.action);
  std::sort(actions.begin(), actions.end());
  EXPECT_EQ(actions, (std::vector<std::string>{"software_policy.created", "software_policy.created",
                                               "software_policy.deleted"}));
}

TEST_P(SqlStoreComplianceTest, RefusesUnknownGroupsAndDuplicates) {
  auto unknown = add("nowhere", "openssl", std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "software_policy.unknown_group");
  EXPECT_EQ(unknown.error().context, "nowhere");

  group("web");
  ASSERT_TRUE(add("web", "openssl", std::nullopt));
  auto twice = add("web", "openssl", "1.0");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "software_policy.exists");
  // Another manager is another policy.
  inventory::SoftwarePolicyDraft rpm{"web", "rpm", "openssl", std::nullopt, ""};
  EXPECT_TRUE(store->create_software_policy(rpm, "alice"));
  EXPECT_EQ(store->software_policies(std::nullopt)->size(), 2u);
}

TEST_P(SqlStoreComplianceTest, ReportsHostsMissingAPackageOrRunningAnOldVersion) {
  report("a1", {{"openssl", "3.0.9-1"}, {"curl", "7.88.1-10"}});
  report("a2", {{"openssl", "3.0.11-1~deb12u2"}, {"curl", "7.88.1-10"}});
  report("a3", {{"openssl", "3.0.13-1"}, {"openssl-dev", "1"}});
  report("db1", {{"openssl", "1.0"}});  // not in the group
  const auto web = group("web");
  for (const char* agent : {"a1", "a2", "a3"}) part_of(agent, web);
  group("db");
  auto min = add("web", "openssl", "3.0.11-1~");
  ASSERT_TRUE(min) << min.error().describe();
  auto curl = add("web", "curl", std::nullopt);
  ASSERT_TRUE(curl) << curl.error().describe();
  ASSERT_TRUE(add("db", "openssl", std::nullopt));

  auto r = inventory::compliance_report(*store, std::string("web"), std::nullopt);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->policies.size(), 2u);
  EXPECT_EQ(r->policies[0].hosts_checked, 3);
  EXPECT_EQ(r->policies[0].compliant, 2);
  EXPECT_EQ(r->policies[1].out_of_policy, 1);
  ASSERT_EQ(r->hosts.size(), 2u);
  EXPECT_EQ(r->hosts[0].agent_id, "a1");
  EXPECT_EQ(r->hosts[0].hostname, "a1.example");
  EXPECT_EQ(r->hosts[0].host_ci_id, host_ci("a1"));
  ASSERT_EQ(r->hosts[0].violations.size(), 1u);
  EXPECT_EQ(r->hosts[0].violations[0].reason, "too_old");
  EXPECT_EQ(r->hosts[0].violations[0].installed, std::vector<std::string>{"3.0.9-1"});
  EXPECT_EQ(r->hosts[1].agent_id, "a3");
  ASSERT_EQ(r->hosts[1].violations.size(), 1u);
  EXPECT_EQ(r->hosts[1].violations[0].policy_id, curl->id);
  EXPECT_EQ(r->hosts[1].violations[0].reason, "missing");

  // The db group has no hosts; one agent only.
  auto all = inventory::compliance_report(*store, std::nullopt, std::string("a3"));
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->policies.size(), 3u);
  EXPECT_EQ(all->policies[2].hosts_checked, 0);
  ASSERT_EQ(all->hosts.size(), 1u);
  EXPECT_EQ(all->hosts[0].agent_id, "a3");
}

TEST_P(SqlStoreComplianceTest, InstalledPackagesReadsEveryHostOfEachPackage) {
  report("a1", {{"openssl", "3.0.9-1"}, {"curl", "7"}});
  report("a2", {{"openssl", "3.0.9-1"}});
  auto rows = store->installed_packages({{"dpkg", "openssl"}, {"rpm", "curl"}, {"dpkg", "nope"}});
  ASSERT_TRUE(rows) << rows.error().describe();
  ASSERT_EQ(rows->size(), 2u) << "one shared software CI, installed_on two hosts";
  std::vector<std::int64_t> hosts{(*rows)[0].host_ci_id, (*rows)[1].host_ci_id};
  std::sort(hosts.begin(), hosts.end());
  std::vector<std::int64_t> want{host_ci("a1"), host_ci("a2")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(hosts, want);
  EXPECT_EQ((*rows)[0].version, "3.0.9-1");
  EXPECT_EQ((*rows)[0].name, "openssl");
  EXPECT_TRUE(store->installed_packages({})->empty());
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreComplianceTest);

}  // namespace
}  // namespace relman::controller
