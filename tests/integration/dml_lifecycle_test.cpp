// The DML lifecycle as a release manager meets it through the API: a version is uploaded,
// tested and authorized before it can be deployed; each step is in its history; revoking it
// fails the orders not yet sent and it can never be deployed again; every wrong request is a
// clear 4xx that changes nothing.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class DmlLifecycleTest : public ::testing::Test {
 protected:
  DmlLifecycleTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {
    controller.start();
    auto pkg =
        make_package(tmp / "app.rpkg", "app", "2.0.0", {{"bin/app", "v2"}}, &pki.publisher());
    auto up = controller.upload_raw(pkg);
    EXPECT_EQ(up.status, 201) << up.text;
    id = up.body.value("id", std::int64_t{0});
    auto rel = controller.api("POST", "/api/v1/releases", json{{"title", "app 2.0"}});
    EXPECT_EQ(rel.status, 201) << rel.text;
    release = rel.body.value("id", std::int64_t{0});
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  ApiResult step(const json& body) {
    return controller.api("POST", "/api/v1/packages/" + std::to_string(id) + "/transitions", body);
  }
  ApiResult deploy(const std::string& host) {
    return controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/deployments",
                          json{{"package_id", id}, {"hosts", {host}}});
  }
  std::string status() {
    return controller.api("GET", "/api/v1/packages/" + std::to_string(id)).body.value("status", "");
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::int64_t id = 0;
  std::int64_t release = 0;
};

TEST_F(DmlLifecycleTest, TestedThenAuthorizedThenDeployable) {
  EXPECT_EQ(status(), "uploaded");
  auto early = deploy("web-01");
  EXPECT_EQ(early.status, 409) << early.text;
  EXPECT_EQ(early.body["error"].value("code", ""), "package.not_authorized");
  EXPECT_NE(early.body["error"].value("message", "").find("only authorized versions"),
            std::string::npos);

  auto tested = step(json{{"action", "test"}, {"reason", "integration suite green"}});
  ASSERT_EQ(tested.status, 200) << tested.text;
  EXPECT_EQ(tested.body["status"], "tested");
  EXPECT_EQ(tested.body["allowed_actions"], json::array({"authorize", "revoke"}));
  EXPECT_EQ(tested.body["status_changed_by"], "admin");
  auto authorized = step(json{{"action", "authorize"}});
  ASSERT_EQ(authorized.status, 200) << authorized.text;
  EXPECT_EQ(authorized.body["status"], "authorized");
  auto dep = deploy("web-01");
  ASSERT_EQ(dep.status, 201) << dep.text;

  auto history = controller.api("GET", "/api/v1/packages/" + std::to_string(id) + "/history");
  ASSERT_EQ(history.status, 200) << history.text;
  std::vector<std::string> actions;
  for (const auto& e : history.body["items"]) actions.push_back(e.value("action", ""));
  EXPECT_EQ(actions,
            (std::vector<std::string>{"package.upload", "package.test", "package.authorize"}));
  EXPECT_EQ(history.body["items"][1]["detail"].value("reason", ""), "integration suite green");
}

TEST_F(DmlLifecycleTest, RevokingFailsUnsentOrdersAndIsFinal) {
  ASSERT_EQ(step(json{{"action", "test"}}).status, 200);
  ASSERT_EQ(step(json{{"action", "authorize"}}).status, 200);
  auto dep = deploy("never-connected-01");  // its order waits: nothing was sent
  ASSERT_EQ(dep.status, 201) << dep.text;

  auto revoked = step(json{{"action", "revoke"}, {"reason", "CVE-2026-4242 in libfoo"}});
  ASSERT_EQ(revoked.status, 200) << revoked.text;
  EXPECT_EQ(revoked.body["status"], "revoked");
  EXPECT_EQ(revoked.body["cancelled_targets"], 1);
  EXPECT_EQ(revoked.body["allowed_actions"], json::array());
  auto d = controller.api("GET", "/api/v1/deployments/" + std::to_string(dep.body.value("id", 0)));
  ASSERT_EQ(d.status, 200) << d.text;
  EXPECT_EQ(d.body["status"], "failed") << d.text;
  EXPECT_EQ(d.body["targets"][0]["error"].value("code", ""), "package.revoked") << d.text;

  auto again = deploy("web-02");
  EXPECT_EQ(again.status, 409) << again.text;
  EXPECT_EQ(again.body["error"].value("code", ""), "package.revoked");
  auto back = step(json{{"action", "authorize"}});
  EXPECT_EQ(back.status, 409) << back.text;
  EXPECT_EQ(back.body["error"].value("code", ""), "package.illegal_transition");
}

TEST_F(DmlLifecycleTest, BadRequestsAreRefusedAndChangeNothing) {
  struct Case {
    std::string path;  // under /api/v1/packages/
    json body;
    int status;
    std::string code;
  };
  const auto own = std::to_string(id) + "/transitions";
  const std::vector<Case> cases = {
      {own, json{{"action", "authorize"}}, 409, "package.illegal_transition"},
      {own, json{{"action", "approve"}}, 400, "package.unknown_action"},
      {own, json{{"action", "revoke"}}, 400, "package.reason_required"},
      {own, json{{"action", "test"}, {"by", "me"}}, 400, "protocol.unknown_field"},
      {own, json{{"action", 1}}, 400, "protocol.wrong_type"},
      {own, json::array({"test"}), 400, "protocol.not_an_object"},
      {own, json{{"action", "test'; UPDATE packages SET status='authorized'; --"}}, 400,
       "protocol.too_long"},
      {std::to_string(id + 100) + "/transitions", json{{"action", "test"}}, 404,
       "package.not_found"},
      {"x/transitions", json{{"action", "test"}}, 400, "request.invalid_id"},
  };
  for (const auto& c : cases) {
    auto r = controller.api("POST", "/api/v1/packages/" + c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.body.dump() << ": " << r.text;
    EXPECT_EQ(r.body["error"].value("code", ""), c.code) << c.body.dump() << ": " << r.text;
  }
  EXPECT_EQ(status(), "uploaded");
  auto history = controller.api("GET", "/api/v1/packages/" + std::to_string(id) + "/history");
  EXPECT_EQ(history.body["items"].size(), 1u) << history.text;
  EXPECT_EQ(controller.api("GET", "/api/v1/packages/999/history").status, 404);
}

}  // namespace
}  // namespace relman::test
