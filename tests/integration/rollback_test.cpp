// Rolling a deployment back on order (POST /deployments/{id}/rollback) with real agents: every
// host that installed the version goes back to the one it ran before, from what it kept, and
// the rollback is a deployment of its own with its results; every wrong request is a clear
// 4xx that creates nothing.
#include <gtest/gtest.h>

#include "tests/support/deploy_fixture.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class RollbackTest : public DeployFixture {
 protected:
  void start_agents(const std::vector<std::string>& ids) {
    for (const auto& id : ids) agent(id).start();
    for (const auto& id : ids) {
      ASSERT_TRUE(wait_until([&] { return host_connected(id); })) << id;
    }
  }
  std::int64_t package(const std::string& version) {
    return upload_ok(make_package(tmp / ("app-" + version + ".rpkg"), "app", version,
                                  {{"VERSION", version + "\n"}}, &pki.publisher()));
  }
  json deploy_to(std::int64_t release, std::int64_t package, const json& hosts) {
    auto r = controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/deployments",
                            json{{"package_id", package}, {"hosts", hosts}});
    EXPECT_EQ(r.status, 201) << r.text;
    return controller.wait_deployment(r.body.value("id", std::int64_t{0}));
  }
  ApiResult rollback(std::int64_t deployment, const json& body = json::object()) {
    return controller.api("POST", "/api/v1/deployments/" + std::to_string(deployment) + "/rollback",
                          body);
  }
  std::size_t deployment_count() {
    auto r = controller.api("GET", "/api/v1/deployments?limit=500");
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["items"].size();
  }
  std::filesystem::path current(const std::string& host) {
    return std::filesystem::read_symlink(tmp / host / "root" / "app" / "current");
  }
};

TEST_F(RollbackTest, EveryHostThatInstalledTheVersionGoesBackToTheOneBefore) {
  start_agents({"web-01", "web-02"});
  auto release = new_release();
  auto v1 = deploy_to(release, package("1.0.0"), {"web-01", "web-02"});
  ASSERT_EQ(v1["status"], "succeeded") << v1.dump(2);
  auto v2 = deploy_to(release, package("2.0.0"), {"web-01", "web-02"});
  ASSERT_EQ(v2["status"], "succeeded") << v2.dump(2);
  ASSERT_EQ(current("web-01"), "2.0.0");

  auto ordered = rollback(v2["id"]);
  ASSERT_EQ(ordered.status, 201) << ordered.text;
  EXPECT_EQ(ordered.body["action"], "rollback") << ordered.text;
  EXPECT_EQ(ordered.body["rollback_of"], v2["id"]) << ordered.text;
  EXPECT_EQ(ordered.body["targets"].size(), 2u);
  auto done = controller.wait_deployment(ordered.body["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump(2);
  for (const auto& t : done["targets"]) {
    EXPECT_EQ(t["installed_version"], "1.0.0") << t.dump();
    EXPECT_EQ(t["outcome"], "succeeded") << t.dump();
  }
  for (const char* host : {"web-01", "web-02"}) {
    EXPECT_EQ(current(host), "1.0.0") << host;
    EXPECT_EQ(read_file(tmp / host / "root" / "app" / "current" / "VERSION"), "1.0.0\n");
  }
  auto audit = controller.api("GET", "/api/v1/audit?action=deployment.rollback");
  ASSERT_EQ(audit.body["items"].size(), 1u) << audit.text;
  EXPECT_EQ(audit.body["items"][0]["actor"], "admin");
  EXPECT_EQ(audit.body["items"][0]["object_id"], done["id"].dump());
}

TEST_F(RollbackTest, OneNamedHostOnlyAndEveryWrongRequestIsRefusedCreatingNothing) {
  start_agents({"web-01", "web-02"});
  auto release = new_release();
  ASSERT_EQ(deploy_to(release, package("1.0.0"), {"web-01", "web-02"})["status"], "succeeded");
  auto v2 = deploy_to(release, package("2.0.0"), {"web-01", "web-02"});
  ASSERT_EQ(v2["status"], "succeeded") << v2.dump(2);
  const std::int64_t id = v2["id"];

  // A deployment that never reached its host has nothing to roll back.
  auto stuck =
      controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/deployments",
                     json{{"package_id", v2["package_id"]}, {"hosts", {"db-01"}}});
  ASSERT_EQ(stuck.status, 201) << stuck.text;

  const auto before = deployment_count();
  struct Bad {
    std::string target;
    json body;
    int status;
    std::string code;
  };
  const std::string own = "/api/v1/deployments/" + std::to_string(id) + "/rollback";
  for (const auto& b : std::vector<Bad>{
           {"/api/v1/deployments/x/rollback", json::object(), 400, "request.invalid_id"},
           {"/api/v1/deployments/999999/rollback", json::object(), 404, "deployment.not_found"},
           {own, {{"hosts", {"web-09"}}}, 400, "deployment.host_not_targeted"},
           {own, {{"hosts", {5}}}, 400, "protocol.wrong_type"},
           {own, {{"hosts", "web-01"}}, 400, "protocol.wrong_type"},
           {own, {{"expires_in_seconds", 1}}, 400, "protocol.out_of_range"},
           {own, {{"because", "reasons"}}, 400, "protocol.unknown_field"},
           {"/api/v1/deployments/" + stuck.body["id"].dump() + "/rollback", json::object(), 409,
            "deployment.nothing_to_roll_back"},
       }) {
    auto r = controller.api("POST", b.target, b.body);
    EXPECT_EQ(r.status, b.status) << b.target << " " << b.body.dump() << " -> " << r.text;
    EXPECT_EQ(r.body["error"]["code"], b.code) << b.target << " " << b.body.dump();
  }
  auto malformed = controller.call(controller.token(), "POST", own, "{\"hosts\": [");
  EXPECT_EQ(malformed.status, 400) << malformed.text;
  // Rolling back needs the deploy permission.
  ASSERT_EQ(controller
                .api("POST", "/api/v1/users",
                     json{{"username", "rita"},
                          {"password", "correct-horse-battery-1"},
                          {"roles", {"requester"}}})
                .status,
            201);
  auto rita = controller.login("rita", "correct-horse-battery-1");
  auto denied = controller.call(rita, "POST", own, "{}");
  EXPECT_EQ(denied.status, 403) << denied.text;
  EXPECT_NE(denied.text.find("deploy"), std::string::npos) << denied.text;
  EXPECT_EQ(deployment_count(), before) << "no refused request created a deployment";

  // One named host goes back; the other stays on 2.0.0.
  auto one = rollback(id, {{"hosts", {"web-02"}}});
  ASSERT_EQ(one.status, 201) << one.text;
  ASSERT_EQ(one.body["targets"].size(), 1u);
  auto done = controller.wait_deployment(one.body["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump(2);
  EXPECT_EQ(current("web-02"), "1.0.0");
  EXPECT_EQ(current("web-01"), "2.0.0");
  // A rollback deployment is not itself rolled back.
  auto again = rollback(one.body["id"]);
  EXPECT_EQ(again.status, 409) << again.text;
  EXPECT_EQ(again.body["error"]["code"], "deployment.not_rollbackable");
}

}  // namespace
}  // namespace relman::test
