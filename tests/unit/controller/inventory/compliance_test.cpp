// Software policy compliance, evaluated without a store: missing packages, versions below the
// minimum (dpkg order: epochs, tildes), several installed versions, and group membership.
#include "controller/inventory/compliance.hpp"

#include <gtest/gtest.h>

namespace relman::controller::inventory {
namespace {

SoftwarePolicy policy(std::int64_t id, std::optional<std::string> min_version,
                      std::string manager = "dpkg", std::string package = "openssl",
                      std::string group = "web") {
  return SoftwarePolicy{id, SoftwarePolicyDraft{group, manager, package, min_version, ""}, "admin",
                        1};
}

TEST(CompliancePolicy, AMissingPackageIsMissing) {
  auto v = evaluate_policy(policy(1, "3.0.0"), {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "missing");
  EXPECT_EQ(v->policy_id, 1);
  EXPECT_TRUE(v->installed.empty());
  auto without_minimum = evaluate_policy(policy(2, std::nullopt), {});
  ASSERT_TRUE(without_minimum);
  EXPECT_EQ(without_minimum->reason, "missing");
}

TEST(CompliancePolicy, AnyVersionSatisfiesAPolicyWithoutMinimum) {
  EXPECT_FALSE(evaluate_policy(policy(1, std::nullopt), {"0.1"}));
}

TEST(CompliancePolicy, OlderIsTooOldEqualAndNewerComply) {
  auto old = evaluate_policy(policy(1, "3.0.11-1"), {"3.0.9-1"});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->reason, "too_old");
  EXPECT_EQ(old->installed, std::vector<std::string>{"3.0.9-1"});
  EXPECT_EQ(old->min_version, "3.0.11-1");
  EXPECT_FALSE(evaluate_policy(policy(1, "3.0.11-1"), {"3.0.11-1"}));
  EXPECT_FALSE(evaluate_policy(policy(1, "3.0.11-1"), {"3.0.11-1+deb12u1"}));
  EXPECT_FALSE(evaluate_policy(policy(1, "3.0.11-1"), {"3.1"}));
  // Equal for dpkg though spelled differently.
  EXPECT_FALSE(evaluate_policy(policy(1, "1.0"), {"0:1.0-0"}));
}

TEST(CompliancePolicy, EpochsAndTildesOrderAsDpkgDoes) {
  EXPECT_FALSE(evaluate_policy(policy(1, "2.0"), {"1:1.0"}));  // an epoch wins
  EXPECT_TRUE(evaluate_policy(policy(1, "1:1.0"), {"9.9"}));
  EXPECT_TRUE(evaluate_policy(policy(1, "1.0"), {"1.0~rc1"}));  // ~ sorts before the release
  EXPECT_FALSE(evaluate_policy(policy(1, "1.0~rc1"), {"1.0~rc2"}));
  EXPECT_FALSE(evaluate_policy(policy(1, "1.0~rc1"), {"1.0"}));
}

TEST(CompliancePolicy, OneInstalledVersionAtTheMinimumIsEnough) {
  EXPECT_FALSE(evaluate_policy(policy(1, "2.0"), {"1.0", "2.5", "1.5"}));
  auto v = evaluate_policy(policy(1, "3.0"), {"2.5", "1.0", "2.5", "10"});
  EXPECT_FALSE(v) << "10 > 3.0 numerically";
  v = evaluate_policy(policy(1, "3.0"), {"2.5", "1.0", "2.5", "2.10"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "too_old");
  EXPECT_EQ(v->installed, (std::vector<std::string>{"1.0", "2.5", "2.10"}))
      << "sorted by version, each once";
}

TEST(CompliancePolicy, RelmanPackagesCompareBySemver) {
  EXPECT_TRUE(evaluate_policy(policy(1, "1.0.0", "relman"), {"1.0.0-rc.1"}));
  EXPECT_FALSE(evaluate_policy(policy(1, "1.0.0", "relman"), {"1.0.0+build.5"}));
  EXPECT_FALSE(evaluate_policy(policy(1, "1.2.0", "relman"), {"1.10.0"}));
}

cmdb::HostFacts facts() {
  cmdb::HostFacts f;
  f.host_cis = {
      {"a1", cmdb::HostCi{11, "a1.example", "production", "", "medium", {{"hostname", "alpha"}}}},
      {"b2", cmdb::HostCi{12, "b2.example", "production", "", "medium", {}}},
      {"c3", cmdb::HostCi{13, "c3", "production", "", "medium", {}}}};
  f.groups = {{"a1", "web"}, {"b2", "web"}, {"b2", "db"}, {"c3", "db"}, {"zz", "web"}};
  return f;
}

TEST(ComplianceReportTest, ChecksEveryHostOfTheGroupAndCountsThem) {
  std::vector<SoftwarePolicy> policies{policy(1, "3.0"), policy(2, std::nullopt, "dpkg", "curl"),
                                       policy(3, std::nullopt, "rpm", "curl", "db")};
  std::vector<InstalledPackage> installed{
      {11, "dpkg", "openssl", "3.1"}, {12, "dpkg", "openssl", "1.1"}, {11, "dpkg", "curl", "7.0"},
      {12, "dpkg", "curl", "8.0"},    {13, "dpkg", "curl", "8.0"},  // not rpm
      {99, "dpkg", "openssl", "0.1"}};
  auto r = evaluate_compliance(policies, facts(), installed, std::nullopt);
  ASSERT_EQ(r.policies.size(), 3u);
  EXPECT_EQ(r.policies[0].hosts_checked, 2) << "zz has no host CI";
  EXPECT_EQ(r.policies[0].compliant, 1);
  EXPECT_EQ(r.policies[0].out_of_policy, 1);
  EXPECT_EQ(r.policies[1].out_of_policy, 0);
  EXPECT_EQ(r.policies[2].hosts_checked, 2);
  EXPECT_EQ(r.policies[2].out_of_policy, 2) << "a dpkg curl is not an rpm curl";
  ASSERT_EQ(r.hosts.size(), 2u);
  EXPECT_EQ(r.hosts[0].agent_id, "b2");
  EXPECT_EQ(r.hosts[0].hostname, "b2.example");
  EXPECT_EQ(r.hosts[0].host_ci_id, 12);
  ASSERT_EQ(r.hosts[0].violations.size(), 2u);
  EXPECT_EQ(r.hosts[0].violations[0].reason, "too_old");
  EXPECT_EQ(r.hosts[0].violations[0].installed, std::vector<std::string>{"1.1"});
  EXPECT_EQ(r.hosts[0].violations[1].policy_id, 3);
  EXPECT_EQ(r.hosts[0].violations[1].reason, "missing");
  EXPECT_EQ(r.hosts[1].agent_id, "c3");
  auto j = to_json(r.hosts[0]);
  EXPECT_EQ(j["violations"][0]["min_version"], "3.0");
  EXPECT_TRUE(j["violations"][1]["min_version"].is_null());
}

TEST(ComplianceReportTest, OneAgentOnlyAndGroupsWithoutHosts) {
  std::vector<SoftwarePolicy> policies{policy(1, std::nullopt),
                                       policy(2, std::nullopt, "dpkg", "x", "empty")};
  auto r = evaluate_compliance(policies, facts(), {}, std::string("a1"));
  EXPECT_EQ(r.policies[0].hosts_checked, 1);
  EXPECT_EQ(r.policies[1].hosts_checked, 0);
  ASSERT_EQ(r.hosts.size(), 1u);
  EXPECT_EQ(r.hosts[0].hostname, "alpha") << "the reported hostname";
  EXPECT_TRUE(evaluate_compliance(policies, facts(), {}, std::string("nobody")).hosts.empty());
}

TEST(ComplianceReportTest, PolicyPackagesAreListedOnce) {
  auto keys = policy_packages(
      {policy(1, "1"), policy(2, "2", "dpkg", "openssl", "db"), policy(3, std::nullopt, "rpm")});
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].manager, "dpkg");
  EXPECT_EQ(keys[1].manager, "rpm");
}

TEST(SoftwarePolicyDraftTest, ReadsAndChecksARequest) {
  auto d = policy_draft_from_json(
      {{"group", "web"}, {"package", "openssl"}, {"min_version", "1:3.0.11-1~deb12u2"}});
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->manager, "dpkg");
  EXPECT_EQ(d->note, "");
  auto rpm = policy_draft_from_json(
      {{"group", "db"}, {"package", "curl"}, {"manager", "rpm"}, {"min_version", "7.76.1-26.el9"}});
  EXPECT_TRUE(rpm) << rpm.error().describe();
  auto relman = policy_draft_from_json(
      {{"group", "db"}, {"package", "app"}, {"manager", "relman"}, {"min_version", "1.2.3"}});
  EXPECT_TRUE(relman) << relman.error().describe();
}

TEST(SoftwarePolicyDraftTest, RefusesBadRequestsWithTheirCodes) {
  auto code = [](const nlohmann::json& doc) {
    auto d = policy_draft_from_json(doc);
    return d ? std::string("ok") : d.error().code;
  };
  EXPECT_EQ(code({{"group", "web"}, {"package", "x"}, {"min_version", "a1"}}),
            "software_policy.invalid_min_version");
  EXPECT_EQ(code({{"group", "web"}, {"package", "x"}, {"min_version", ""}}),
            "software_policy.invalid_min_version");
  EXPECT_EQ(
      code({{"group", "web"}, {"package", "x"}, {"manager", "relman"}, {"min_version", "1.0"}}),
      "software_policy.invalid_min_version")
      << "relman versions are SemVer";
  EXPECT_EQ(code({{"group", "web"}, {"package", "x"}, {"manager", "apk"}}),
            "software_policy.invalid_manager");
  EXPECT_EQ(code({{"package", "x"}}), "protocol.missing_field");
  EXPECT_EQ(code({{"group", ""}, {"package", "x"}}), "protocol.empty_field");
  EXPECT_EQ(code({{"group", "web"}, {"package", "x"}, {"color", "red"}}), "protocol.unknown_field");
  EXPECT_EQ(code({{"group", "web"}, {"package", 5}}), "protocol.wrong_type");
}

}  // namespace
}  // namespace relman::controller::inventory
