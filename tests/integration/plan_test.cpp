// The planner's dry run through the REST API of a real controller: hosts are two real agents
// (with this machine's inventory) and two hosts registered straight in the store with their
// own inventory reports. The plan selects by facts, orders by dependencies, splits into waves,
// applies windows, and stores and sends nothing.
#include <gtest/gtest.h>

#include <map>

#include "protocol/clock.hpp"
#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class PlanApiTest : public ::testing::Test {
 protected:
  PlanApiTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    controller.start();
    for (const char* id : {"web-1", "web-2"}) {
      agents.push_back(std::make_unique<AgentProcess>(tmp / id, pki, id, controller));
      agents.back()->start();
    }
    for (const char* id : {"web-1", "web-2"}) {
      ASSERT_TRUE(wait_until([&] { return has_inventory(id); }, std::chrono::seconds(30)))
          << id << " never reported its inventory";
    }
    register_host("db-1", "debian", 16384);
    register_host("old-1", "ubuntu", 1024);
    auto r = controller.api("POST", "/api/v1/releases", json{{"title", "Payroll 2.4"}});
    ASSERT_EQ(r.status, 201) << r.text;
    release = r.body["id"];
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- controller log ----\n" << controller.log() << "\n";
      for (auto& a : agents) std::cerr << "---- agent " << a->id() << " log ----\n" << a->log();
    }
  }

  bool has_inventory(const std::string& id) {
    auto r = controller.api("GET", "/api/v1/hosts/" + id);
    return r.status == 200 && r.body.contains("inventory") && r.body["inventory"].is_object() &&
           r.body["inventory"].contains("facts");
  }

  // A host the store knows from an inventory report, without an agent process.
  void register_host(const std::string& id, const std::string& os, std::int64_t memory_mb) {
    json report = {{"type", "inventory"},
                   {"hostname", id + ".example.org"},
                   {"os_id", os},
                   {"memory_mb", memory_mb},
                   {"facts", {{"os", {{"id", os}}}}}};
    const std::string now = std::to_string(unix_seconds());
    EXPECT_EQ(controller.sql("INSERT INTO hosts (agent_id, hostname, os, connected, first_seen, "
                             "last_seen, inventory_json) VALUES (?, ?, ?, 0, ?, ?, ?)",
                             {id, id + ".example.org", os, now, now, report.dump()}),
              1);
  }

  ApiResult plan(const json& body) {
    return controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/plan", body);
  }

  static json base_request() {
    return json{{"target", {{"query", "os.id == \"debian\" and memory_mb >= 2048"}}},
                {"policy", {{"canary", {{"count", 1}}}, {"batches", {{"percent", 50}}}}}};
  }

  static std::vector<std::string> ids(const json& wave) {
    std::vector<std::string> out;
    for (const auto& h : wave["hosts"]) out.push_back(h["id"]);
    return out;
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::vector<std::unique_ptr<AgentProcess>> agents;
  std::int64_t release = 0;
};

TEST_F(PlanApiTest, ShowsWavesHostsAndStartTimesWithoutStoringOrSendingAnything) {
  const auto audit_before = controller.api("GET", "/api/v1/audit?limit=500").body["items"].size();
  // web-2 is in group "night", whose window opens two hours from the current hour (UTC).
  const std::int64_t now = unix_seconds();
  const int open_hour = static_cast<int>((now % 86400) / 3600 + 2) % 24;
  char start[16], end[16];  // room for any int, so g++ sees no truncation
  std::snprintf(start, sizeof start, "%02d:00", open_hour);
  std::snprintf(end, sizeof end, "%02d:00", (open_hour + 1) % 24);
  json body = base_request();
  body["windows"] = {{"maintenance",
                      {{{"name", "night"},
                        {"days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                        {"start", start},
                        {"end", end},
                        {"time_zone", "UTC"},
                        {"groups", {"night"}}}}}};
  body["groups"] = {{{"name", "night"}, {"hosts", {"web-2"}}}};
  body["dependencies"] = {{{"host", "web-1"}, {"depends_on", "db-1"}},
                          {{"host", "web-2"}, {"depends_on", "db-1"}}};

  auto r = plan(body);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["dry_run"], true);
  EXPECT_EQ(r.body["release_id"], release);
  EXPECT_TRUE(r.body["package"].is_null());
  EXPECT_EQ(r.body["affected_services"], json::array());
  const json& p = r.body["plan"];
  EXPECT_EQ(p["host_count"], 3);  // old-1 is ubuntu with 1 GiB
  ASSERT_EQ(p["waves"].size(), 2u) << p.dump(2);
  EXPECT_EQ(p["waves"][0]["kind"], "canary");
  EXPECT_EQ(ids(p["waves"][0]), (std::vector<std::string>{"db-1"}));  // what the others need
  EXPECT_EQ(p["waves"][1]["kind"], "batch");
  EXPECT_EQ(ids(p["waves"][1]), (std::vector<std::string>{"web-1", "web-2"}));
  EXPECT_EQ(p["waves"][1]["hosts"][0]["after"], json::array({"db-1"}));

  const std::int64_t planned_at = p["planned_at"];
  EXPECT_EQ(p["waves"][0]["earliest_start"], planned_at);
  EXPECT_EQ(p["waves"][1]["hosts"][0]["earliest_start"], planned_at);
  // The window opens at least an hour after planned_at (the test read the clock first).
  std::int64_t opens = planned_at / 86400 * 86400 + open_hour * 3600;
  if (opens <= planned_at) opens += 86400;
  EXPECT_EQ(p["waves"][1]["hosts"][1]["earliest_start"], opens) << p.dump(2);
  EXPECT_EQ(p["waves"][1]["hosts"][1]["allowed_until"], opens + 3600);

  // Nothing was stored and nothing was sent.
  auto deployments = controller.api("GET", "/api/v1/deployments");
  EXPECT_EQ(deployments.body["items"], json::array());
  EXPECT_EQ(controller.api("GET", "/api/v1/audit?limit=500").body["items"].size(), audit_before);
}

TEST_F(PlanApiTest, TheCmdbOrdersGroupsSelectsAndExplainsThePlan) {
  // The agents' hosts are host CIs; services run on them and depend on each other.
  auto service = [&](const std::string& name) {
    auto r = controller.api("POST", "/api/v1/cmdb/cis",
                            json{{"class", "service"}, {"name", name}, {"stage", "production"}});
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", std::int64_t{0});
  };
  auto relate = [&](std::int64_t from, const std::string& type, std::int64_t to) {
    auto r = controller.api("POST", "/api/v1/cmdb/cis/" + std::to_string(from) + "/relationships",
                            json{{"type", type}, {"to", to}});
    EXPECT_EQ(r.status, 201) << type << ": " << r.text;
  };
  const auto web1 = controller.host_ci("web-1"), web2 = controller.host_ci("web-2");
  const auto payments = service("payments"), shop = service("shop"), farm = service("berlin");
  relate(payments, "runs_on", web1);
  relate(shop, "runs_on", web2);
  relate(shop, "depends_on", payments);  // so web-2 is deployed after web-1
  relate(web2, "part_of", farm);         // web-2 is in group "berlin"

  // The query sees the CMDB (hosts without a host CI have no cmdb.stage) and the groups; a
  // blackout for group "berlin" holds web-2 back for an hour.
  const std::int64_t now = unix_seconds();
  json body{{"target", {{"query", "cmdb.stage == \"production\""}}},
            {"policy", {{"batches", {{"count", 1}}}}},
            {"windows",
             {{"blackouts",
               {{{"name", "freeze"},
                 {"start", now - 60},
                 {"end", now + 3600},
                 {"groups", {"berlin"}}}}}}}};
  auto r = plan(body);
  ASSERT_EQ(r.status, 200) << r.text;
  const json& p = r.body["plan"];
  EXPECT_EQ(p["host_count"], 2) << p.dump(2);
  ASSERT_EQ(p["waves"].size(), 2u) << p.dump(2);
  EXPECT_EQ(ids(p["waves"][0]), (std::vector<std::string>{"web-1"}));
  EXPECT_EQ(ids(p["waves"][1]), (std::vector<std::string>{"web-2"}));
  EXPECT_EQ(p["waves"][1]["hosts"][0]["after"], json::array({"web-1"}));
  EXPECT_EQ(p["waves"][1]["hosts"][0]["earliest_start"], now + 3600) << p.dump(2);
  auto in_group = plan(json{{"target", {{"query", "groups contains \"berlin\""}}},
                            {"policy", {{"batches", {{"percent", 100}}}}}});
  ASSERT_EQ(in_group.status, 200) << in_group.text;
  EXPECT_EQ(in_group.body["plan"]["host_count"], 1);

  // What the change affects: payments (on web-1), shop (on web-2, and it depends on
  // payments), and the berlin farm web-2 is part of; each says which hosts and why.
  const json& affected = r.body["affected_services"];
  ASSERT_EQ(affected.size(), 3u) << affected.dump(2);
  std::map<std::string, json> by_name;
  for (const auto& a : affected) by_name[a["ci"]["name"]] = a;
  EXPECT_EQ(by_name["payments"]["hosts"], json::array({"web-1"}));
  const std::string web1_name =
      controller.api("GET", "/api/v1/cmdb/cis/" + std::to_string(web1)).body["name"];
  EXPECT_EQ(by_name["payments"]["explanation"], "payments runs_on " + web1_name)
      << by_name["payments"].dump();
  EXPECT_EQ(by_name["shop"]["hosts"], json::array({"web-1", "web-2"}));
  EXPECT_EQ(by_name["berlin"]["hosts"], json::array({"web-2"}));
  EXPECT_EQ(by_name["berlin"]["ci"]["id"], farm);

  // A dependency cycle in the CMDB is refused and named.
  relate(payments, "depends_on", shop);
  auto cycle = plan(body);
  EXPECT_EQ(cycle.status, 400) << cycle.text;
  EXPECT_EQ(cycle.body["error"]["code"], "plan.dependency_cycle");
  EXPECT_EQ(cycle.body["error"]["context"], "web-1 -> web-2 -> web-1") << cycle.text;
}

TEST_F(PlanApiTest, ExplicitHostsJoinTheQuerysHosts) {
  json body = base_request();
  body["target"]["hosts"] = {"old-1"};
  body["policy"] = {{"canary", {{"hosts", {"old-1"}}}}, {"batches", {{"count", 10}}}};
  auto r = plan(body);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(ids(r.body["plan"]["waves"][0]), (std::vector<std::string>{"old-1"}));
  EXPECT_EQ(ids(r.body["plan"]["waves"][1]), (std::vector<std::string>{"db-1", "web-1", "web-2"}));
}

TEST_F(PlanApiTest, BadInputIsA400WithTheCodeAndTheField) {
  struct Case {
    std::string what;
    json body;
    std::string code;
    std::string context;
  };
  std::vector<Case> cases;
  auto with = [](auto change) {
    json b = base_request();
    change(b);
    return b;
  };
  cases.push_back({"query syntax", with([](json& b) {
                     b["target"]["query"] = "os.id == \"debian\" and (memory_mb >";
                   }),
                   "query.syntax", "target.query"});
  cases.push_back({"dependency cycle", with([](json& b) {
                     b["dependencies"] = {{{"host", "web-1"}, {"depends_on", "db-1"}},
                                          {{"host", "db-1"}, {"depends_on", "web-1"}}};
                   }),
                   "plan.dependency_cycle", "db-1 -> web-1 -> db-1"});
  cases.push_back({"unknown time zone", with([](json& b) {
                     b["windows"] = {{"maintenance",
                                      {{{"days", {"mon"}},
                                        {"start", "01:00"},
                                        {"end", "02:00"},
                                        {"time_zone", "Europe/Atlantis"}}}}};
                   }),
                   "plan.invalid_window", "windows.maintenance[0].time_zone"});
  cases.push_back({"unknown host", with([](json& b) { b["target"]["hosts"] = {"ghost-9"}; }),
                   "plan.unknown_host", "target.hosts[0]"});
  cases.push_back({"nothing selected",
                   with([](json& b) { b["target"]["query"] = "memory_mb > 1000000000"; }),
                   "plan.empty_target", "target"});
  cases.push_back({"bad percent", with([](json& b) { b["policy"]["batches"]["percent"] = 150; }),
                   "protocol.out_of_range", "policy.batches.percent"});
  cases.push_back({"unknown field", with([](json& b) { b["target"]["hots"] = {"web-1"}; }),
                   "protocol.unknown_field", "target.hots"});
  cases.push_back({"half a package", with([](json& b) { b["package"] = "payroll"; }),
                   "protocol.missing_field", "version"});
  for (const auto& c : cases) {
    auto r = plan(c.body);
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.text;
    EXPECT_EQ(r.body["error"].value("code", ""), c.code) << c.what << ": " << r.text;
    EXPECT_EQ(r.body["error"].value("context", ""), c.context) << c.what << ": " << r.text;
  }
  auto r = plan(with([](json& b) { b["target"]["query"] = "os.id = \"debian\""; }));
  EXPECT_NE(r.body["error"].value("message", "").find("at column 7: "), std::string::npos)
      << r.text;

  auto missing = controller.api("POST", "/api/v1/releases/999/plan", base_request());
  EXPECT_EQ(missing.status, 404) << missing.text;
  EXPECT_EQ(missing.body["error"]["code"], "release.not_found");
  auto no_package = plan(with([](json& b) { b["package_id"] = 77; }));
  EXPECT_EQ(no_package.status, 404) << no_package.text;
  EXPECT_EQ(no_package.body["error"]["code"], "package.not_found");
}

}  // namespace
}  // namespace relman::test
