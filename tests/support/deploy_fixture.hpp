// A gtest fixture for end-to-end deployment tests: a fresh PKI, a started controller, agents
// created on demand, and the few API calls every such test makes (upload, release, deploy).
// On failure it prints the controller's and every agent's log.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/cluster.hpp"

namespace relman::test {

class DeployFixture : public ::testing::Test {
 protected:
  DeployFixture();

  void SetUp() override;
  void TearDown() override;

  // A new agent with its own root directory and certificate (not started).
  AgentProcess& agent(const std::string& id);
  bool host_connected(const std::string& id);
  // Uploads a package (expects 201) and returns its id.
  std::int64_t upload_ok(const std::filesystem::path& pkg);
  // Creates a release (expects 201) and returns its id.
  std::int64_t new_release();
  // Deploys `package` of `release` to `host` (expects 201) and returns the deployment.
  nlohmann::json deploy(std::int64_t release, std::int64_t package, const std::string& host);

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::vector<std::unique_ptr<AgentProcess>> agents;
};

}  // namespace relman::test
