// The REST API as a release manager meets it: login, DML uploads that are verified on the
// way in, releases, and clear errors with stable codes for bad input.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"
#include "tests/support/tar_fixture.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}
  void SetUp() override { controller.start(); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  protocol::HttpResponse raw(const std::string& method, const std::string& target,
                             const std::string& body, bool with_token = true) {
    protocol::HttpsClient client(controller.anonymous_tls(), {"127.0.0.1", controller.port()});
    protocol::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers["content-type"] = "application/json";
    if (with_token) req.headers["authorization"] = "Bearer " + controller.token();
    auto r = client.request(req);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : protocol::HttpResponse{};
  }

  static std::string code_of(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
};

TEST_F(ApiTest, LoginRefusesWrongPasswordAndUnknownUserAlike) {
  auto wrong = raw("POST", "/api/v1/auth/login",
                   json{{"username", "admin"}, {"password", "nope"}}.dump(), false);
  auto unknown = raw("POST", "/api/v1/auth/login",
                     json{{"username", "ghost"}, {"password", "nope"}}.dump(), false);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(code_of(wrong.body), "auth.invalid_credentials");
  EXPECT_EQ(wrong.body, unknown.body);
}

TEST_F(ApiTest, EveryRouteButLoginNeedsAToken) {
  auto r = raw("GET", "/api/v1/releases", "", false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code_of(r.body), "auth.required");
  protocol::HttpsClient client(controller.anonymous_tls(), {"127.0.0.1", controller.port()});
  protocol::HttpRequest req;
  req.target = "/api/v1/releases";
  req.headers["authorization"] = "Bearer 0000";
  auto bad = client.request(req);
  ASSERT_TRUE(bad);
  EXPECT_EQ(code_of(bad->body), "auth.invalid_token");
}

TEST_F(ApiTest, UploadRefusesPayloadChangedAfterSigning) {
  auto good = make_package(tmp / "good.rpkg", "tools", "1.0.0", {{"run.sh", "echo safe\n"}},
                           &pki.publisher());
  auto entries = read_tar(good);
  for (auto& e : entries) {
    if (e.name == "payload/run.sh") e.data = "echo evil\n";
  }
  write_tar(tmp / "evil.rpkg", entries);
  auto r = controller.upload(tmp / "evil.rpkg");
  EXPECT_EQ(r.status, 400) << r.text;
  EXPECT_EQ(r.body["error"]["code"], "package.payload_hash_mismatch") << r.text;
  EXPECT_EQ(controller.api("GET", "/api/v1/packages").body["items"].size(), 0u);
  // Nothing half-written stays behind in the uploads directory.
  EXPECT_TRUE(std::filesystem::is_empty(controller.data_dir() / "uploads"));
}

TEST_F(ApiTest, UploadRefusesPackageSignedByUnknownKey) {
  auto stranger = packaging::generate_signing_key();
  auto pkg = make_package(tmp / "p.rpkg", "tools", "1.0.0", {{"a", "b"}}, &stranger);
  auto r = controller.upload(pkg);
  EXPECT_EQ(r.status, 400) << r.text;
  EXPECT_EQ(r.body["error"]["code"], "package.signature_untrusted") << r.text;
  auto unsigned_pkg = make_package(tmp / "u.rpkg", "tools", "1.0.0", {{"a", "b"}}, nullptr);
  auto u = controller.upload(unsigned_pkg);
  EXPECT_EQ(u.status, 400) << u.text;
  EXPECT_EQ(u.body["error"]["code"], "package.signature_untrusted") << u.text;
}

TEST_F(ApiTest, UploadIsIdempotentButVersionsAreImmutable) {
  auto pkg = make_package(tmp / "a.rpkg", "tools", "1.0.0", {{"a", "1"}}, &pki.publisher());
  auto first = controller.upload_raw(pkg);
  auto again = controller.upload_raw(pkg);
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(first.body["id"], again.body["id"]);
  auto other = make_package(tmp / "b.rpkg", "tools", "1.0.0", {{"a", "2"}}, &pki.publisher());
  auto clash = controller.upload_raw(other);
  EXPECT_EQ(clash.status, 409) << clash.text;
  EXPECT_EQ(clash.body["error"]["code"], "dml.version_exists");
  auto listed =
      controller.api("GET", "/api/v1/packages/" + std::to_string(first.body["id"].get<int>()));
  EXPECT_EQ(listed.body["sha256"], first.body["sha256"]);
  EXPECT_EQ(listed.body["status"], "uploaded");
}

TEST_F(ApiTest, BadInputGetsAClearErrorAndStoresNothing) {
  struct Case {
    std::string body;
    std::string code;
  };
  for (const auto& c : std::vector<Case>{
           {"{not json", "protocol.malformed_json"},
           {"[1,2]", "protocol.not_an_object"},
           {R"({"title": 5})", "protocol.wrong_type"},
           {R"({})", "protocol.missing_field"},
           {R"({"title": "x", "colour": "red"})", "protocol.unknown_field"},
           {R"({"title": ""})", "protocol.empty_field"},
       }) {
    auto r = raw("POST", "/api/v1/releases", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(code_of(r.body), c.code) << c.body << " -> " << r.body;
  }
  auto big = raw("POST", "/api/v1/releases", std::string(2 << 20, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(code_of(big.body), "request.too_large");
  // SQL metacharacters are data, not SQL.
  auto tricky =
      raw("POST", "/api/v1/releases", json{{"title", "x'); DROP TABLE releases; --"}}.dump());
  EXPECT_EQ(tricky.status, 201) << tricky.body;
  auto list = controller.api("GET", "/api/v1/releases");
  ASSERT_EQ(list.body["items"].size(), 1u) << list.text;
  EXPECT_EQ(list.body["items"][0]["title"], "x'); DROP TABLE releases; --");
  EXPECT_EQ(list.body["items"][0]["number"], "REL-000001");
}

TEST_F(ApiTest, DeploymentNeedsAKnownReleaseAndPackage) {
  auto rel = controller.api("POST", "/api/v1/releases", json{{"title", "t"}});
  auto id = std::to_string(rel.body["id"].get<int>());
  auto no_pkg = controller.api("POST", "/api/v1/releases/" + id + "/deployments",
                               json{{"package_id", 99}, {"hosts", {"h"}}});
  EXPECT_EQ(no_pkg.status, 404);
  EXPECT_EQ(no_pkg.body["error"]["code"], "package.not_found");
  auto no_rel = controller.api("POST", "/api/v1/releases/999/deployments",
                               json{{"package_id", 1}, {"hosts", {"h"}}});
  EXPECT_EQ(no_rel.status, 404);
  EXPECT_EQ(no_rel.body["error"]["code"], "release.not_found");
  auto no_hosts = controller.api("POST", "/api/v1/releases/" + id + "/deployments",
                                 json{{"package_id", 1}, {"hosts", json::array()}});
  EXPECT_EQ(no_hosts.status, 400);
  auto bad_id = controller.api("GET", "/api/v1/releases/abc");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.body["error"]["code"], "request.invalid_id");
}

}  // namespace
}  // namespace relman::test
