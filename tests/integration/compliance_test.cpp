// Software policies against a real controller and a real agent that reads a fixture tree: the
// host's CI is put in a group (part_of a service CI), policies require packages of that group,
// and the host goes out of policy (a package missing, one too old) and back into it as its
// fixture's dpkg database changes. Also the refusals and the events policies become.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kServerTree = fs::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";
const std::string kPassword = "correct-horse-battery-7";

class ComplianceTest : public ::testing::Test {
 protected:
  ComplianceTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    fs::copy(kServerTree, root(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    controller.start();
    agent_.emplace(tmp / "agent", pki, "web-01", controller);
    agent_->config()["inventory_root"] = root().string();
    agent_->start();
    ASSERT_TRUE(wait_until([&] { return !inventory_hash().empty(); }));
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- controller log ----\n" << controller.log() << "\n";
      if (agent_) std::cerr << "---- agent log ----\n" << agent_->log() << "\n";
    }
  }

  fs::path root() const { return tmp.path() / "root"; }
  std::string inventory_hash() {
    return controller.api("GET", "/api/v1/hosts/web-01").body.value("inventory_hash", "");
  }

  // Rewrites the fixture's dpkg database with `edit`, asks for a report and waits for it.
  void change_dpkg(const std::function<void(std::string&)>& edit) {
    const fs::path status = root() / "var/lib/dpkg/status";
    std::stringstream text;
    text << std::ifstream(status).rdbuf();
    std::string s = text.str();
    edit(s);
    std::ofstream(status, std::ios::trunc) << s;
    const std::string before = inventory_hash();
    ASSERT_EQ(controller.api("POST", "/api/v1/hosts/web-01/inventory").status, 202);
    ASSERT_TRUE(wait_until([&] { return inventory_hash() != before; }));
  }

  static void replace(std::string& s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
  }

  json compliance(const std::string& query = "") {
    auto r = controller.api("GET", "/api/v1/compliance" + query);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body;
  }

  // The violations of web-01 (empty when it is in policy), as "package:reason".
  std::vector<std::string> violations() {
    std::vector<std::string> out;
    const json report = compliance();  // a range-for over a temporary's member would dangle
    for (const auto& h : report["items"]) {
      EXPECT_EQ(h["agent_id"], "web-01");
      for (const auto& v : h["violations"]) {
        out.push_back(v["package"].get<std::string>() + ":" + v["reason"].get<std::string>());
      }
    }
    return out;
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::optional<AgentProcess> agent_;
};

TEST_F(ComplianceTest, AHostGoesOutOfPolicyAndBackAsItsSoftwareChanges) {
  // web-01 is in group "web-farm": its host CI is part_of that service.
  const std::int64_t host = controller.host_ci("web-01");
  auto farm =
      controller.api("POST", "/api/v1/cmdb/cis", json{{"class", "service"}, {"name", "web-farm"}});
  ASSERT_EQ(farm.status, 201) << farm.text;
  auto part = controller.api("POST", "/api/v1/cmdb/cis/" + std::to_string(host) + "/relationships",
                             json{{"type", "part_of"}, {"to", farm.body["id"]}});
  ASSERT_EQ(part.status, 201) << part.text;

  // libc6 2.36-9+deb12u9 is installed; the policy wants at least deb12u10. htop is missing.
  auto libc = controller.api("POST", "/api/v1/software-policies",
                             json{{"group", "web-farm"},
                                  {"package", "libc6"},
                                  {"min_version", "2.36-9+deb12u10"},
                                  {"note", "CVE fix"}});
  ASSERT_EQ(libc.status, 201) << libc.text;
  EXPECT_EQ(libc.body["manager"], "dpkg");
  EXPECT_EQ(libc.body["created_by"], "admin");
  auto htop = controller.api("POST", "/api/v1/software-policies",
                             json{{"group", "web-farm"}, {"package", "htop"}});
  ASSERT_EQ(htop.status, 201) << htop.text;

  auto report = compliance();
  ASSERT_EQ(report["policies"].size(), 2u) << report.dump();
  EXPECT_EQ(report["policies"][0]["hosts_checked"], 1);
  EXPECT_EQ(report["policies"][0]["out_of_policy"], 1);
  EXPECT_EQ(report["total"], 1);
  ASSERT_EQ(report["items"].size(), 1u) << report.dump();
  const auto& h = report["items"][0];
  EXPECT_EQ(h["agent_id"], "web-01");
  EXPECT_EQ(h["host_ci"], host);
  EXPECT_FALSE(h["hostname"].get<std::string>().empty());
  ASSERT_EQ(h["violations"].size(), 2u) << h.dump();
  EXPECT_EQ(h["violations"][0]["policy"], libc.body["id"]);
  EXPECT_EQ(h["violations"][0]["reason"], "too_old");
  EXPECT_EQ(h["violations"][0]["min_version"], "2.36-9+deb12u10");
  EXPECT_EQ(h["violations"][0]["installed"], json::array({"2.36-9+deb12u9"}));
  EXPECT_EQ(h["violations"][1]["reason"], "missing");
  EXPECT_TRUE(h["violations"][1]["min_version"].is_null());

  // htop is installed: only libc6 is left.
  change_dpkg([](std::string& s) {
    s += "\nPackage: htop\nStatus: install ok installed\nInstalled-Size: 10\n"
         "Architecture: amd64\nVersion: 3.2.2-2\n";
  });
  EXPECT_EQ(violations(), std::vector<std::string>{"libc6:too_old"}) << compliance().dump();
  // libc6 is upgraded: in policy.
  change_dpkg(
      [](std::string& s) { replace(s, "Version: 2.36-9+deb12u9", "Version: 2.36-9+deb12u13"); });
  EXPECT_TRUE(violations().empty());
  report = compliance("?group=web-farm&agent_id=web-01");
  EXPECT_EQ(report["policies"][0]["compliant"], 1) << report.dump();
  EXPECT_EQ(report["policies"][1]["compliant"], 1);
  // And downgraded: out again.
  change_dpkg(
      [](std::string& s) { replace(s, "Version: 2.36-9+deb12u13", "Version: 2.36-9+deb12u2"); });
  EXPECT_EQ(violations(), std::vector<std::string>{"libc6:too_old"});

  // Other groups and hosts have nothing to say.
  EXPECT_TRUE(compliance("?group=nowhere")["policies"].empty());
  EXPECT_TRUE(compliance("?agent_id=web-99")["items"].empty());
  EXPECT_EQ(controller.api("GET", "/api/v1/compliance?group=").status, 400);

  // Removing the policy removes the violation; both were events.
  auto removed = controller.api(
      "DELETE", "/api/v1/software-policies/" + std::to_string(libc.body["id"].get<std::int64_t>()));
  ASSERT_EQ(removed.status, 200) << removed.text;
  EXPECT_TRUE(violations().empty());
  auto list = controller.api("GET", "/api/v1/software-policies");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["package"], "htop");
  std::string events;
  ASSERT_TRUE(wait_until([&] {
    events = controller.events("software_policy.*").dump();
    return events.find("software_policy.deleted") != std::string::npos;
  })) << events;
  EXPECT_NE(events.find("software_policy.created"), std::string::npos) << events;
}

TEST_F(ComplianceTest, RefusesBadPoliciesAndWritesWithoutPermission) {
  ASSERT_EQ(
      controller.api("POST", "/api/v1/cmdb/cis", json{{"class", "service"}, {"name", "db"}}).status,
      201);
  auto post = [&](const json& body) {
    return controller.api("POST", "/api/v1/software-policies", body);
  };
  auto unknown = post(json{{"group", "nowhere"}, {"package", "curl"}});
  EXPECT_EQ(unknown.status, 400) << unknown.text;
  EXPECT_EQ(unknown.body["error"]["code"], "software_policy.unknown_group");
  EXPECT_EQ(unknown.body["error"]["context"], "nowhere");
  auto bad_version = post(json{{"group", "db"}, {"package", "curl"}, {"min_version", "latest"}});
  EXPECT_EQ(bad_version.status, 400) << bad_version.text;
  EXPECT_EQ(bad_version.body["error"]["code"], "software_policy.invalid_min_version");
  auto bad_manager = post(json{{"group", "db"}, {"package", "curl"}, {"manager", "pip"}});
  EXPECT_EQ(bad_manager.status, 400);
  EXPECT_EQ(bad_manager.body["error"]["code"], "software_policy.invalid_manager");
  auto extra = post(json{{"group", "db"}, {"package", "curl"}, {"version", "1"}});
  EXPECT_EQ(extra.status, 400);
  EXPECT_EQ(extra.body["error"]["code"], "protocol.unknown_field");

  auto first = post(json{{"group", "db"}, {"package", "curl"}, {"min_version", "7.0"}});
  ASSERT_EQ(first.status, 201) << first.text;
  auto twice = post(json{{"group", "db"}, {"package", "curl"}});
  EXPECT_EQ(twice.status, 409) << twice.text;
  EXPECT_EQ(twice.body["error"]["code"], "software_policy.exists");
  EXPECT_EQ(post(json{{"group", "db"}, {"package", "curl"}, {"manager", "rpm"}}).status, 201)
      << "rpm's curl is another package";

  // An auditor reads but does not write.
  ASSERT_EQ(controller
                .api("POST", "/api/v1/users",
                     json{{"username", "audrey"}, {"password", kPassword}, {"roles", {"auditor"}}})
                .status,
            201);
  const std::string token = controller.login("audrey", kPassword);
  auto forbidden = controller.call(token, "POST", "/api/v1/software-policies",
                                   json{{"group", "db"}, {"package", "vim"}}.dump());
  EXPECT_EQ(forbidden.status, 403) << forbidden.text;
  EXPECT_EQ(forbidden.body["error"]["code"], "auth.forbidden");
  EXPECT_EQ(forbidden.body["error"]["context"], "manage_cmdb");
  const std::string id = std::to_string(first.body["id"].get<std::int64_t>());
  EXPECT_EQ(controller.call(token, "DELETE", "/api/v1/software-policies/" + id).status, 403);
  EXPECT_EQ(controller.call(token, "GET", "/api/v1/software-policies").status, 200);
  EXPECT_EQ(controller.call(token, "GET", "/api/v1/compliance").status, 200);
  EXPECT_EQ(controller.call("", "GET", "/api/v1/compliance").status, 401);

  EXPECT_EQ(controller.api("DELETE", "/api/v1/software-policies/999999").status, 404);
  EXPECT_EQ(controller.api("DELETE", "/api/v1/software-policies/x").status, 400);
  EXPECT_EQ(controller.api("GET", "/api/v1/software-policies").body["items"].size(), 2u);
}

}  // namespace
}  // namespace relman::test
