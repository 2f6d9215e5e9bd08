#include "agent/config.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent {
namespace {

using relman::test::TempDir;
using relman::test::write_file;

std::string config(const std::string& extra = {}, const std::string& id = "web-01") {
  return R"({)" + extra + R"("agent_id": ")" + id + R"(",
    "controller_url": "wss://127.0.0.1:8443",
    "tls": {"ca": "ca.crt", "cert": "a.crt", "key": "a.key"},
    "trust": "trust.json", "state_dir": "state", "install_root": "/opt/relman"})";
}

TEST(AgentConfig, LoadsWithDefaultsAndResolvedPaths) {
  TempDir tmp;
  write_file(tmp / "agent.json", config());
  auto c = load_agent_config(tmp / "agent.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->agent_id, "web-01");
  EXPECT_EQ(c->state_dir, tmp.path() / "state");
  EXPECT_EQ(c->install_root, "/opt/relman");
  EXPECT_EQ(c->heartbeat_seconds, 30);
  EXPECT_EQ(c->inventory_root, "/");
}

TEST(AgentConfig, InventoryRootIsTakenFromTheConfigFilesDirectory) {
  TempDir tmp;
  write_file(tmp / "agent.json", config(R"("inventory_root": "fixture",)"));
  auto c = load_agent_config(tmp / "agent.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->inventory_root, tmp.path() / "fixture");
}

TEST(AgentConfig, RefusesBadAgentIdUnknownKeysAndInconsistentBackoff) {
  TempDir tmp;
  struct Case {
    std::string text, code, context;
  };
  for (const auto& c : std::vector<Case>{
           {config({}, "web 01/../x"), "config.invalid", "agent_id"},
           {config(R"("verbose": true,)"), "protocol.unknown_field", "verbose"},
           {config(R"("reconnect_min_ms": 5000, "reconnect_max_ms": 1000,)"), "config.invalid",
            "reconnect_max_ms"},
           {config(R"("heartbeat_seconds": 0,)"), "protocol.out_of_range", "heartbeat_seconds"},
       }) {
    write_file(tmp / "a.json", c.text);
    auto r = load_agent_config(tmp / "a.json");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().context, c.context) << c.text;
  }
}

}  // namespace
}  // namespace relman::agent
