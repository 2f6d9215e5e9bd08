// What an operator sees when a daemon cannot start: a non-zero exit and one line naming the
// reason and the file, never a crash or a half-started service.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

// A complete controller configuration in `tmp` (port 0, data in tmp/data).
nlohmann::json controller_config(const TempDir& tmp, const TestPki& pki) {
  return {{"port", 0},
          {"data_dir", (tmp / "data").string()},
          {"tls",
           {{"cert", pki.server_cert().string()},
            {"key", pki.server_key().string()},
            {"client_ca", pki.ca_cert().string()}}},
          {"order_signing_key", pki.order_key().string()},
          {"trust", pki.trust_file().string()}};
}

TEST(DaemonStart, ControllerWithoutConfigSaysWhichFile) {
  TempDir tmp{"relman-start"};
  auto r = run_command(
      {binary_path("relman-controller").string(), "--config", (tmp / "missing.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("relman-controller: config.read_failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing.json"), std::string::npos) << r.output;
}

TEST(DaemonStart, ControllerWithMissingTrustFileRefusesToStart) {
  TempDir tmp{"relman-start"};
  TestPki pki(tmp / "pki");
  std::filesystem::remove(pki.trust_file());
  auto cfg = controller_config(tmp, pki);
  write_file(tmp / "c.json", cfg.dump());
  auto r = run_command(
      {binary_path("relman-controller").string(), "--config", (tmp / "c.json").string()},
      {{"RELMAN_ADMIN_PASSWORD", "x"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("trust."), std::string::npos) << r.output;
}

TEST(DaemonStart, ControllerWhoseDatabaseServerIsDownSaysSoInOneLine) {
  TempDir tmp{"relman-start"};
  TestPki pki(tmp / "pki");
  write_file(tmp / "pw", "never-shown-secret\n");
  auto cfg = controller_config(tmp, pki);
  cfg["database"] = {{"kind", "postgresql"},
                     {"url", "postgresql://relman@127.0.0.1:1/relman"},
                     {"password_file", (tmp / "pw").string()}};
  write_file(tmp / "c.json", cfg.dump());
  auto r = run_command(
      {binary_path("relman-controller").string(), "--config", (tmp / "c.json").string()},
      {{"RELMAN_ADMIN_PASSWORD", "x"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string prefix = "relman-controller: store.open_failed: cannot connect to PostgreSQL";
  auto at = r.output.find(prefix);
  ASSERT_NE(at, std::string::npos) << r.output;
  const auto line = r.output.substr(at, r.output.find('\n', at) - at);
  EXPECT_NE(line.find("127.0.0.1"), std::string::npos) << line;
  EXPECT_EQ(r.output.find("never-shown-secret"), std::string::npos) << r.output;
}

TEST(DaemonStart, AgentWithABadConfigNamesTheKey) {
  TempDir tmp{"relman-start"};
  write_file(tmp / "a.json", R"({"agent_id": "web-01", "controller_url": "wss://x:1"})");
  auto r =
      run_command({binary_path("relman-agent").string(), "--config", (tmp / "a.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("protocol.missing_field"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(tls)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace relman::test
