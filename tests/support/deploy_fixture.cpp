#include "tests/support/deploy_fixture.hpp"

#include <iostream>

namespace relman::test {

using nlohmann::json;

DeployFixture::DeployFixture() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

void DeployFixture::SetUp() { controller.start(); }

void DeployFixture::TearDown() {
  if (HasFailure()) {
    std::cerr << "---- controller log ----\n" << controller.log() << "\n";
    for (auto& a : agents) std::cerr << "---- agent " << a->id() << " log ----\n" << a->log();
  }
}

AgentProcess& DeployFixture::agent(const std::string& id) {
  agents.push_back(std::make_unique<AgentProcess>(tmp / id, pki, id, controller));
  return *agents.back();
}

bool DeployFixture::host_connected(const std::string& id) {
  auto r = controller.api("GET", "/api/v1/hosts/" + id);
  return r.status == 200 && r.body.value("connected", false);
}

std::int64_t DeployFixture::upload_ok(const std::filesystem::path& pkg) {
  auto r = controller.upload(pkg);
  EXPECT_EQ(r.status, 201) << r.text;
  return r.body.value("id", std::int64_t{0});
}

std::int64_t DeployFixture::new_release() {
  auto r = controller.api("POST", "/api/v1/releases",
                          json{{"title", "Payroll 2.4"}, {"description", "quarterly update"}});
  EXPECT_EQ(r.status, 201) << r.text;
  return r.body.value("id", std::int64_t{0});
}

json DeployFixture::deploy(std::int64_t release, std::int64_t package, const std::string& host) {
  auto r = controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/deployments",
                          json{{"package_id", package}, {"hosts", {host}}});
  EXPECT_EQ(r.status, 201) << r.text;
  return r.body;
}

}  // namespace relman::test
