// The CMDB through the REST API of a real controller: CIs with versions, optimistic locking,
// restore points, relationships and impact analysis, host CIs that agents bring with them,
// and bad input refused with nothing stored.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class CmdbTest : public ::testing::Test {
 protected:
  CmdbTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}
  void SetUp() override { controller.start(); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  json create_ci(const json& body) {
    auto r = controller.api("POST", "/api/v1/cmdb/cis", body);
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body;
  }
  std::int64_t ci(const std::string& cls, const std::string& name) {
    return create_ci(json{{"class", cls}, {"name", name}})["id"].get<std::int64_t>();
  }
  void relate(std::int64_t from, const std::string& type, std::int64_t to) {
    auto r = controller.api("POST", "/api/v1/cmdb/cis/" + std::to_string(from) + "/relationships",
                            json{{"type", type}, {"to", to}});
    EXPECT_EQ(r.status, 201) << r.text;
  }
  std::string ci_path(std::int64_t id, const std::string& rest = "") {
    return "/api/v1/cmdb/cis/" + std::to_string(id) + rest;
  }
  std::size_t count(const std::string& target) {
    auto r = controller.api("GET", target);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["items"].size();
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
};

TEST_F(CmdbTest, CisAreVersionedLockedAndRestored) {
  auto cls = controller.api(
      "POST", "/api/v1/cmdb/classes",
      json{{"name", "database"},
           {"attributes",
            {{"engine",
              {{"type", "enum"}, {"values", {"postgresql", "mariadb"}}, {"required", true}}},
             {"port", {{"type", "number"}}}}}});
  ASSERT_EQ(cls.status, 201) << cls.text;
  auto classes = controller.api("GET", "/api/v1/cmdb/classes");
  EXPECT_EQ(classes.body["items"].size(), 6u) << classes.text;

  json db = create_ci(json{{"class", "database"},
                           {"name", "orders-db"},
                           {"attributes", {{"engine", "postgresql"}, {"port", 5432}}},
                           {"owner_group", "dba"},
                           {"criticality", "high"}});
  ASSERT_EQ(db["version"], 1);
  EXPECT_EQ(db["stage"], "development");
  const std::int64_t id = db["id"];

  auto got = controller.api("GET", ci_path(id));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body["attributes"]["port"], 5432);

  // Two editors read version 1; the first wins, the second is told to read again.
  auto first = controller.api(
      "PATCH", ci_path(id),
      json{{"version", 1}, {"attributes", {{"port", 5433}}}, {"stage", "homologation"}});
  ASSERT_EQ(first.status, 200) << first.text;
  EXPECT_EQ(first.body["version"], 2);
  auto second = controller.api("PATCH", ci_path(id), json{{"version", 1}, {"name", "other"}});
  EXPECT_EQ(second.status, 409) << second.text;
  EXPECT_EQ(second.body["error"]["code"], "cmdb.version_conflict");
  EXPECT_EQ(controller.api("GET", ci_path(id)).body["name"], "orders-db");

  // An illegal stage move names the allowed ones and changes nothing.
  auto illegal = controller.api("PATCH", ci_path(id), json{{"version", 2}, {"stage", "in_store"}});
  EXPECT_EQ(illegal.status, 409) << illegal.text;
  EXPECT_EQ(illegal.body["error"]["code"], "cmdb.illegal_stage_transition");
  EXPECT_NE(illegal.text.find("production, development, retired"), std::string::npos);

  // A bad attribute names itself and changes nothing.
  auto bad = controller.api("PATCH", ci_path(id),
                            json{{"version", 2}, {"attributes", {{"engine", "oracle"}}}});
  EXPECT_EQ(bad.status, 400) << bad.text;
  EXPECT_EQ(bad.body["error"]["code"], "cmdb.invalid_attribute");
  EXPECT_EQ(bad.body["error"]["context"], "engine");
  EXPECT_EQ(controller.api("GET", ci_path(id)).body["version"], 2);

  auto history = controller.api("GET", ci_path(id, "/history"));
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.body["items"].size(), 2u);
  EXPECT_EQ(history.body["items"][0]["version"], 2);
  EXPECT_EQ(history.body["items"][1]["attributes"]["port"], 5432);  // the restore point

  auto restored = controller.api("POST", ci_path(id, "/restore"),
                                 json{{"version", 1}, {"expected_version", 2}});
  ASSERT_EQ(restored.status, 200) << restored.text;
  EXPECT_EQ(restored.body["version"], 3);
  EXPECT_EQ(restored.body["attributes"]["port"], 5432);
  EXPECT_EQ(restored.body["stage"], "development");
  history = controller.api("GET", ci_path(id, "/history"));
  ASSERT_EQ(history.body["items"].size(), 3u);
  EXPECT_EQ(history.body["items"][0]["change"], "restore");
  EXPECT_EQ(history.body["items"][0]["restored_from"], 1);

  auto stale = controller.api("POST", ci_path(id, "/restore"),
                              json{{"version", 2}, {"expected_version", 2}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body["error"]["code"], "cmdb.version_conflict");
  auto missing = controller.api("POST", ci_path(id, "/restore"), json{{"version", 99}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["code"], "cmdb.version_not_found");

  // Filters.
  EXPECT_EQ(count("/api/v1/cmdb/cis?class=database"), 1u);
  EXPECT_EQ(count("/api/v1/cmdb/cis?owner_group=dba&stage=development"), 1u);
  EXPECT_EQ(count("/api/v1/cmdb/cis?q=ORDERS"), 1u);
  EXPECT_EQ(count("/api/v1/cmdb/cis?q=%25"), 0u);  // '%' is a character, not a wildcard
  EXPECT_EQ(count("/api/v1/cmdb/cis?stage=production"), 0u);
  auto bad_filter = controller.api("GET", "/api/v1/cmdb/cis?stage=live");
  EXPECT_EQ(bad_filter.status, 400);

  // Each change is in the audit log.
  auto audit = controller.api("GET", "/api/v1/audit");
  std::vector<std::string> actions;
  for (const auto& e : audit.body["items"]) actions.push_back(e["action"]);
  for (const char* a : {"ci_class.create", "ci.create", "ci.update", "ci.restore"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
  }
  EXPECT_EQ(controller.api("GET", ci_path(4242)).status, 404);
}

TEST_F(CmdbTest, ImpactFollowsTheRelationships) {
  auto shop = ci("service", "shop");
  auto payments = ci("service", "payments");
  auto srv1 = ci("host", "srv1");
  auto srv2 = ci("host", "srv2");
  auto disk = ci("hardware", "disk-7");
  relate(shop, "depends_on", payments);
  relate(payments, "runs_on", srv2);
  relate(shop, "runs_on", srv1);
  relate(disk, "part_of", srv2);
  relate(payments, "depends_on", shop);  // a cycle: the walk must still end

  auto impact = controller.api("GET", ci_path(disk, "/impact"));
  ASSERT_EQ(impact.status, 200) << impact.text;
  std::vector<std::string> names;
  for (const auto& a : impact.body["affected"]) names.push_back(a["ci"]["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"srv2", "payments", "shop"})) << impact.text;
  const auto& path = impact.body["affected"][2]["path"];
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path[0]["explanation"], "disk-7 part_of srv2");
  EXPECT_EQ(path[2]["explanation"], "shop depends_on payments");

  // Refusals: a pair that makes no sense, a duplicate, a missing target, itself.
  auto wrong = controller.api("POST", ci_path(srv1, "/relationships"),
                              json{{"type", "runs_on"}, {"to", shop}});
  EXPECT_EQ(wrong.status, 400) << wrong.text;
  EXPECT_EQ(wrong.body["error"]["code"], "cmdb.invalid_relationship");
  auto dup = controller.api("POST", ci_path(shop, "/relationships"),
                            json{{"type", "depends_on"}, {"to", payments}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.body["error"]["code"], "cmdb.relationship_exists");
  auto nowhere = controller.api("POST", ci_path(shop, "/relationships"),
                                json{{"type", "depends_on"}, {"to", 9999}});
  EXPECT_EQ(nowhere.status, 400);
  auto self = controller.api("POST", ci_path(shop, "/relationships"),
                             json{{"type", "depends_on"}, {"to", shop}});
  EXPECT_EQ(self.status, 400);
  EXPECT_EQ(count(ci_path(shop, "/relationships")), 3u);

  // Removing the disk's link to its host removes the whole impact.
  auto rels = controller.api("GET", ci_path(disk, "/relationships"));
  ASSERT_EQ(rels.body["items"].size(), 1u);
  auto rel_id = rels.body["items"][0]["id"].get<std::int64_t>();
  auto del = controller.api("DELETE", "/api/v1/cmdb/relationships/" + std::to_string(rel_id));
  EXPECT_EQ(del.status, 200) << del.text;
  EXPECT_EQ(controller.api("GET", ci_path(disk, "/impact")).body["affected"].size(), 0u);
  auto again = controller.api("DELETE", "/api/v1/cmdb/relationships/" + std::to_string(rel_id));
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body["error"]["code"], "cmdb.relationship_not_found");
}

TEST_F(CmdbTest, BadInputIsRefusedAndNothingIsStored) {
  auto audit_before = controller.api("GET", "/api/v1/audit").body["items"].size();
  struct Case {
    std::string method, target;
    json body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/cmdb/cis", json{{"class", "host"}}, 400, "protocol.missing_field"},
      {"POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", 7}}, 400,
       "protocol.wrong_type"},
      {"POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", "x"}, {"colour", 1}}, 400,
       "protocol.unknown_field"},
      {"POST", "/api/v1/cmdb/cis", json{{"class", "spaceship"}, {"name", "x"}}, 400,
       "cmdb.unknown_class"},
      {"POST", "/api/v1/cmdb/cis",
       json{{"class", "host"}, {"name", "x"}, {"attributes", {{"memory_mb", "lots"}}}}, 400,
       "cmdb.invalid_attribute"},
      {"POST", "/api/v1/cmdb/cis",
       json{{"class", "host"}, {"name", "x"}, {"attributes", {{"colour", "red"}}}}, 400,
       "cmdb.invalid_attribute"},
      {"POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", "x"}, {"stage", "retired"}},
       400, "cmdb.invalid_stage"},
      {"POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", "x"}, {"criticality", 9}}, 400,
       "protocol.wrong_type"},
      {"POST", "/api/v1/cmdb/classes", json{{"name", "host"}, {"attributes", json::object()}}, 409,
       "cmdb.class_exists"},
      {"POST", "/api/v1/cmdb/classes",
       json{{"name", "x'; DROP TABLE cmdb_cis; --"}, {"attributes", json::object()}}, 400,
       "cmdb.invalid_class"},
      {"POST", "/api/v1/cmdb/classes",
       json{{"name", "rack"}, {"attributes", {{"u", {{"type", "integer"}}}}}}, 400,
       "cmdb.invalid_class"},
      {"PATCH", "/api/v1/cmdb/cis/1", json{{"version", 1}}, 404, "cmdb.ci_not_found"},
      {"GET", "/api/v1/cmdb/cis/abc", nullptr, 400, "request.invalid_id"},
      {"GET", "/api/v1/cmdb/cis/77/impact", nullptr, 404, "cmdb.ci_not_found"},
  };
  for (const auto& c : cases) {
    auto r = controller.api(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.dump() << ": "
                                  << r.text;
    EXPECT_EQ(r.body["error"]["code"], c.code) << c.body.dump() << ": " << r.text;
  }
  // Malformed JSON.
  protocol::HttpsClient client(controller.anonymous_tls(), {"127.0.0.1", controller.port()});
  protocol::HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/cmdb/cis";
  req.body = "{\"class\": \"host\", ";
  req.headers["authorization"] = "Bearer " + controller.token();
  req.headers["content-type"] = "application/json";
  auto r = client.request(req);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 400) << r->body;

  EXPECT_EQ(count("/api/v1/cmdb/cis"), 0u);
  EXPECT_EQ(count("/api/v1/cmdb/classes"), 5u);
  EXPECT_EQ(controller.api("GET", "/api/v1/audit").body["items"].size(), audit_before);

  // SQL metacharacters in text are data, stored and returned as they are.
  json odd = create_ci(json{{"class", "service"},
                            {"name", "a'; DROP TABLE cmdb_cis; --"},
                            {"owner_group", "\" OR 1=1 --"}});
  auto back = controller.api("GET", ci_path(odd["id"].get<std::int64_t>()));
  EXPECT_EQ(back.body["name"], "a'; DROP TABLE cmdb_cis; --");
  EXPECT_EQ(count("/api/v1/cmdb/cis?owner_group=%22%20OR%201%3D1%20--"), 1u);
}

TEST_F(CmdbTest, AgentsHostsAppearAsHostCis) {
  AgentProcess agent(tmp / "agent", pki, "edge-01", controller);
  agent.start();
  json host_ci;
  ASSERT_TRUE(wait_until([&] {
    auto r = controller.api("GET", "/api/v1/cmdb/cis?class=host");
    for (const auto& c : r.body["items"]) {
      if (c["source_key"] == "agent:edge-01" && c["attributes"].contains("hostname")) {
        host_ci = c;
        return true;
      }
    }
    return false;
  })) << agent.log();
  auto host = controller.api("GET", "/api/v1/hosts/edge-01");
  ASSERT_EQ(host.status, 200);
  EXPECT_EQ(host_ci["attributes"]["agent_id"], "edge-01");
  EXPECT_EQ(host_ci["attributes"]["hostname"], host.body["hostname"]);
  EXPECT_EQ(host_ci["name"], host.body["hostname"]);
  EXPECT_EQ(host_ci["stage"], "production");

  // The same host reconnecting does not make a second CI, nor a new version for nothing.
  const auto version = host_ci["version"];
  agent.stop();
  agent.start();
  ASSERT_TRUE(wait_until(
      [&] { return controller.api("GET", "/api/v1/hosts/edge-01").body["connected"] == true; }));
  auto hosts = controller.api("GET", "/api/v1/cmdb/cis?class=host");
  ASSERT_EQ(hosts.body["items"].size(), 1u) << hosts.text;
  EXPECT_EQ(hosts.body["items"][0]["version"], version);
}

}  // namespace
}  // namespace relman::test
