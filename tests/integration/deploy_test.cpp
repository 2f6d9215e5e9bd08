// End to end over loopback: real relman-controller and relman-agent processes, a fresh PKI,
// a real database (SQLite, or PostgreSQL with RELMAN_TEST_DB=postgresql), mutual TLS. A package
// goes from a release manager to an agent, is verified and installed, and the result comes back;
// every refusal shows in the deployment status with its reason code.
#include <gtest/gtest.h>
#include <chrono>

#include "packaging/sha256.hpp"
#include "protocol/canonical_json.hpp"
#include "protocol/clock.hpp"
#include "protocol/messages.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/deploy_fixture.hpp"
#include "tests/support/tar_fixture.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

// Changes one row of the controller's database, as a compromised or corrupted store would.
void sql(ControllerProcess& controller, const std::string& statement,
         const std::vector<std::string>& params) {
  EXPECT_EQ(controller.sql(statement, params), 1) << statement;
}

class DeployTest : public DeployFixture {
 protected:
  // Replaces a pending target's order with `order` signed by `key`, as a tampered store would.
  void plant_order(std::int64_t deployment, const std::string& host, protocol::DeployOrder order,
                   const packaging::PrivateKey& key) {
    auto canonical = protocol::canonical_json(protocol::to_json(order));
    ASSERT_TRUE(canonical);
    protocol::DeployOrderMessage msg{order, key.public_key().key_id(),
                                     packaging::sign(key, *canonical)};
    sql(controller,
        "UPDATE deployment_targets SET status = 'sent', order_id = ?, order_message = ? "
        "WHERE deployment_id = ? AND host_id = ? AND status = 'pending'",
        {order.order_id, protocol::encode_message(msg), std::to_string(deployment), host});
  }

  protocol::DeployOrder order_for(std::int64_t deployment, const std::string& host,
                                  const json& package) {
    protocol::DeployOrder o;
    o.order_id = "forged-" + std::to_string(deployment);
    o.deployment_id = deployment;
    o.host_id = host;
    o.package_name = package["name"];
    o.package_version = package["version"];
    o.package_sha256 = package["sha256"];
    o.manifest_sha256 = package["manifest_sha256"];
    o.package_size = package["size"];
    o.download_path = "/api/v1/agent/packages/" + package["sha256"].get<std::string>();
    o.issued_at = unix_seconds();
    o.expires_at = unix_seconds() + 600;
    return o;
  }

  json target_of(const json& deployment) { return deployment["targets"][0]; }
};

TEST_F(DeployTest, DeploysSignedPackageAndReportsSuccess) {
  auto& a = agent("web-01");
  a.start();
  ASSERT_TRUE(wait_until([&] { return host_connected("web-01"); })) << a.log();

  auto pkg = make_package(tmp / "hello-1.0.0.rpkg", "hello", "1.0.0",
                          {{"bin/hello", "#!/bin/sh\necho hello\n"}, {"README", "hi\n"}},
                          &pki.publisher(), "test -f README");
  auto package_id = upload_ok(pkg);
  auto release_id = new_release();
  auto created = deploy(release_id, package_id, "web-01");
  auto done = controller.wait_deployment(created["id"]);
  ASSERT_EQ(done["status"], "succeeded") << done.dump(2);
  EXPECT_EQ(target_of(done)["installed_version"], "1.0.0");
  EXPECT_EQ(target_of(done)["error"], nullptr);

  auto root = a.install_root() / "hello";
  EXPECT_EQ(read_file(root / "1.0.0" / "README"), "hi\n");
  EXPECT_EQ(std::filesystem::read_symlink(root / "current"), "1.0.0");
  EXPECT_EQ(read_file(root / "current" / "bin" / "hello"), "#!/bin/sh\necho hello\n");

  // The host reported its inventory, and the release shows the deployment.
  auto host = controller.api("GET", "/api/v1/hosts/web-01");
  EXPECT_FALSE(host.body["hostname"].get<std::string>().empty()) << host.text;
  EXPECT_GT(host.body["inventory"]["memory_mb"].get<std::int64_t>(), 0) << host.text;
  EXPECT_GT(host.body["inventory"]["facts"]["cpu"]["threads"].get<std::int64_t>(), 0);
  EXPECT_FALSE(host.body["inventory"]["facts"]["software"]["dpkg"]["packages"].empty());
  auto release = controller.api("GET", "/api/v1/releases/" + std::to_string(release_id));
  EXPECT_EQ(release.body["deployments"][0]["status"], "succeeded") << release.text;

  // An upgrade switches current; the audit log tells the story.
  auto pkg2 = make_package(tmp / "hello-1.1.0.rpkg", "hello", "1.1.0",
                           {{"bin/hello", "#!/bin/sh\necho hello again\n"}, {"README", "v2\n"}},
                           &pki.publisher());
  auto second = deploy(release_id, upload_ok(pkg2), "web-01");
  ASSERT_EQ(controller.wait_deployment(second["id"])["status"], "succeeded");
  EXPECT_EQ(std::filesystem::read_symlink(root / "current"), "1.1.0");
  auto audit = controller.api("GET", "/api/v1/audit");
  std::string actions;
  for (const auto& e : audit.body["items"]) actions += e["action"].get<std::string>() + " ";
  EXPECT_NE(actions.find("target.succeeded"), std::string::npos) << actions;
  EXPECT_NE(actions.find("deployment.create"), std::string::npos) << actions;
  EXPECT_NE(actions.find("package.upload"), std::string::npos) << actions;
}

TEST_F(DeployTest, OrderWaitsForAnOfflineHostAndIsDeliveredOnConnect) {
  auto package_id =
      upload_ok(make_package(tmp / "p.rpkg", "later", "2.0.0", {{"file", "x"}}, &pki.publisher()));
  auto created = deploy(new_release(), package_id, "db-01");
  EXPECT_EQ(created["status"], "pending");
  ASSERT_EQ(created["warnings"].size(), 1u) << created.dump(2);
  EXPECT_NE(created["warnings"][0].get<std::string>().find("never connected"), std::string::npos);
  auto& a = agent("db-01");
  a.start();
  auto done = controller.wait_deployment(created["id"]);
  EXPECT_EQ(done["status"], "succeeded") << done.dump(2);
}

TEST_F(DeployTest, FailingHealthCheckIsReportedWithItsReason) {
  auto& a = agent("app-01");
  a.start();
  auto package_id = upload_ok(make_package(tmp / "p.rpkg", "broken", "1.0.0", {{"f", "x"}},
                                           &pki.publisher(), "echo not healthy; exit 3"));
  auto done = controller.wait_deployment(deploy(new_release(), package_id, "app-01")["id"]);
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "install.health_check_failed") << done.dump(2);
  EXPECT_NE(target_of(done)["error"]["message"].get<std::string>().find("not healthy"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(a.install_root() / "broken" / "current"));
}

TEST_F(DeployTest, AgentRefusesPackageTamperedInTheStore) {
  // The upload is good; then the DML file is swapped for one whose payload changed after
  // signing (same manifest and signatures), and the record is pointed at it.
  auto good = make_package(tmp / "good.rpkg", "tools", "1.0.0", {{"run.sh", "echo safe\n"}},
                           &pki.publisher());
  auto package_id = upload_ok(good);
  auto entries = read_tar(good);
  for (auto& e : entries) {
    if (e.name == "payload/run.sh") e.data = "echo evil\n";  // same size, other bytes
  }
  auto evil = tmp / "evil.rpkg";
  write_tar(evil, entries);
  auto sha = packaging::sha256_file(evil);
  ASSERT_TRUE(sha);
  auto blob = controller.data_dir() / "dml" / sha->substr(0, 2) / (*sha + ".rpkg");
  std::filesystem::create_directories(blob.parent_path());
  std::filesystem::copy_file(evil, blob);
  sql(controller, "UPDATE packages SET sha256 = ?, size = ? WHERE id = ?",
      {*sha, std::to_string(std::filesystem::file_size(evil)), std::to_string(package_id)});

  auto& a = agent("web-02");
  a.start();
  auto done = controller.wait_deployment(deploy(new_release(), package_id, "web-02")["id"]);
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "package.payload_hash_mismatch") << done.dump(2);
  EXPECT_FALSE(std::filesystem::exists(a.install_root() / "tools" / "current"));
  EXPECT_FALSE(std::filesystem::exists(a.install_root() / "tools" / "1.0.0"));
}

TEST_F(DeployTest, ControllerKilledMidInstallFinishesTheDeploymentAfterRestart) {
  auto& a = agent("app-02");
  a.start();
  ASSERT_TRUE(wait_until([&] { return host_connected("app-02"); })) << a.log();
  // The health check holds the install long enough to kill the controller during it.
  auto package_id =
      upload_ok(make_package(tmp / "slow.rpkg", "slow", "1.0.0", {{"f", "x"}}, &pki.publisher(),
                             "echo ran >> ../health-runs; sleep 2"));
  auto created = deploy(new_release(), package_id, "app-02");
  std::int64_t id = created["id"];
  ASSERT_TRUE(wait_until([&] {
    auto d = controller.api("GET", "/api/v1/deployments/" + std::to_string(id));
    return d.body["targets"][0]["status"] != "pending";
  })) << "the order was never sent";
  controller.kill9();
  controller.start();  // same port, same database: the agent reconnects by itself
  auto done = controller.wait_deployment(id);
  ASSERT_EQ(done["status"], "succeeded") << done.dump(2) << a.log();
  EXPECT_EQ(target_of(done)["installed_version"], "1.0.0");
  EXPECT_EQ(std::filesystem::read_symlink(a.install_root() / "slow" / "current"), "1.0.0");
  // The agent installed once: a re-sent order was answered from its record.
  EXPECT_EQ(read_file(a.install_root() / "slow" / "health-runs"), "ran\n");
}

class ForgedOrderTest : public DeployTest {
 protected:
  // Creates a deployment for `host` while its agent is offline, replaces its order with
  // `mutate(order)` signed by `key`, starts the agent and returns the finished deployment.
  json run_forged(const std::string& host,
                  const std::function<void(protocol::DeployOrder&)>& mutate,
                  const packaging::PrivateKey& key) {
    auto pkg = make_package(tmp / "f.rpkg", "forged", "1.0.0", {{"f", "x"}}, &pki.publisher());
    auto up = controller.upload(pkg);
    EXPECT_EQ(up.status, 201) << up.text;
    auto dep = deploy(new_release(), up.body["id"], host);
    std::int64_t id = dep["id"];
    auto order = order_for(id, host, up.body);
    mutate(order);
    plant_order(id, host, order, key);
    auto& a = agent(host);
    a.start();
    auto done = controller.wait_deployment(id);
    EXPECT_FALSE(std::filesystem::exists(a.install_root() / "forged"));
    return done;
  }
};

TEST_F(ForgedOrderTest, AgentRefusesOrderForAnotherHost) {
  auto done = run_forged(
      "web-03", [](auto& o) { o.host_id = "db-99"; }, pki.order_signing_key());
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "order.wrong_host") << done.dump(2);
}

TEST_F(ForgedOrderTest, AgentRefusesExpiredOrder) {
  auto done = run_forged(
      "web-04",
      [](auto& o) {
        o.issued_at = unix_seconds() - 7200;
        o.expires_at = unix_seconds() - 3600;
      },
      pki.order_signing_key());
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "order.expired") << done.dump(2);
}

TEST_F(ForgedOrderTest, AgentRefusesOrderSignedByAnUnknownKey) {
  auto rogue = packaging::generate_signing_key();
  auto done = run_forged(
      "web-05", [](auto&) {}, rogue);
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "order.unknown_key") << done.dump(2);
}

TEST_F(ForgedOrderTest, AgentRefusesOrderChangedAfterSigning) {
  auto pkg = make_package(tmp / "f.rpkg", "forged", "1.0.0", {{"f", "x"}}, &pki.publisher());
  auto up = controller.upload(pkg);
  ASSERT_EQ(up.status, 201);
  auto dep = deploy(new_release(), up.body["id"], "web-06");
  std::int64_t id = dep["id"];
  auto order = order_for(id, "web-06", up.body);
  auto canonical = protocol::canonical_json(protocol::to_json(order));
  protocol::DeployOrderMessage msg{order, pki.order_signing_key().public_key().key_id(),
                                   packaging::sign(pki.order_signing_key(), *canonical)};
  msg.order.allow_downgrade = true;  // changed after signing
  sql(controller,
      "UPDATE deployment_targets SET status = 'sent', order_id = ?, order_message = ? "
      "WHERE deployment_id = ? AND host_id = ?",
      {order.order_id, protocol::encode_message(msg), std::to_string(id), "web-06"});
  agent("web-06").start();
  auto done = controller.wait_deployment(id);
  ASSERT_EQ(done["status"], "failed") << done.dump(2);
  EXPECT_EQ(target_of(done)["error"]["code"], "order.signature_invalid") << done.dump(2);
}

}  // namespace
}  // namespace relman::test
