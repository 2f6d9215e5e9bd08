// Inventory reporting between a real controller and a real agent that reads a fixture tree:
// a full report on start, deltas after that ("inventory now"), a full report again when the
// controller no longer holds the delta's base, and the inventory-now endpoint's refusals.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <optional>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

namespace fs = std::filesystem;

const fs::path kServerTree = fs::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

class InventoryTest : public ::testing::Test {
 protected:
  InventoryTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    fs::copy(kServerTree, root(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    controller.start();
    agent_.emplace(tmp / "agent", pki, "web-01", controller);  // needs the controller's port
    agent().config()["inventory_root"] = root().string();
    agent().start();
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- controller log ----\n" << controller.log() << "\n";
      if (agent_) std::cerr << "---- agent log ----\n" << agent().log() << "\n";
    }
  }

  fs::path root() const { return tmp.path() / "root"; }
  AgentProcess& agent() { return *agent_; }

  nlohmann::json host() { return controller.api("GET", "/api/v1/hosts/web-01").body; }

  // Waits until the stored inventory's hash is not `old`; returns the host.
  nlohmann::json wait_inventory_change(const std::string& old) {
    nlohmann::json h;
    bool changed = wait_until([&] {
      h = host();
      return h.value("inventory_hash", "") != old && !h.value("inventory_hash", "").empty();
    });
    EXPECT_TRUE(changed) << h.dump();
    return h;
  }

  void install_dpkg_package(const std::string& name) {
    std::ofstream(root() / "var/lib/dpkg/status", std::ios::app)
        << "\nPackage: " << name
        << "\nStatus: install ok installed\nInstalled-Size: 10\nArchitecture: amd64\n"
           "Version: 1.0\n";
  }

  static bool has_package(const nlohmann::json& h, const std::string& name) {
    for (const auto& p : h["inventory"]["facts"]["software"]["dpkg"]["packages"]) {
      if (p.value("name", "") == name) return true;
    }
    return false;
  }

  static std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::optional<AgentProcess> agent_;
};

TEST_F(InventoryTest, FullReportThenDeltasThenFullAgainWhenTheBaseIsUnknown) {
  // 1. The first report is full.
  auto h = wait_inventory_change("");
  const std::string first = h["inventory_hash"];
  EXPECT_EQ(h["hostname"], h["inventory"]["hostname"]);
  EXPECT_FALSE(has_package(h, "htop"));
  EXPECT_EQ(count(controller.log(), "inventory full report"), 1u);

  // 2. A package appears; "inventory now" brings a delta with exactly that change.
  install_dpkg_package("htop");
  auto now = controller.api("POST", "/api/v1/hosts/web-01/inventory");
  ASSERT_EQ(now.status, 202) << now.text;
  h = wait_inventory_change(first);
  const std::string second = h["inventory_hash"];
  EXPECT_TRUE(has_package(h, "htop")) << h.dump();
  EXPECT_NE(controller.log().find("inventory delta " + first + " -> " + second + " (1 changes)"),
            std::string::npos)
      << controller.log();
  EXPECT_EQ(count(controller.log(), "inventory full report"), 1u);

  // 3. The controller loses the report the agent builds on (e.g. restored from a backup): the
  //    delta is refused with a request for a full report, and the full report brings it back.
  EXPECT_EQ(controller.sql("UPDATE hosts SET inventory_hash = ? WHERE agent_id = ?",
                           {std::string(64, 'e'), "web-01"}),
            1);
  install_dpkg_package("tmux");
  ASSERT_EQ(controller.api("POST", "/api/v1/hosts/web-01/inventory").status, 202);
  h = wait_inventory_change(std::string(64, 'e'));
  EXPECT_TRUE(has_package(h, "tmux"));
  EXPECT_TRUE(has_package(h, "htop"));
  EXPECT_NE(controller.log().find("inventory.base_mismatch"), std::string::npos);
  EXPECT_NE(agent().log().find("controller asks for a full inventory report: "
                               "inventory.base_mismatch"),
            std::string::npos)
      << agent().log();
  EXPECT_EQ(count(controller.log(), "inventory full report"), 2u);

  // 4. After that, deltas again: a full report on demand, then back to deltas.
  const std::string third = h["inventory_hash"];
  auto full = controller.api("POST", "/api/v1/hosts/web-01/inventory", {{"full", true}});
  ASSERT_EQ(full.status, 202) << full.text;
  EXPECT_EQ(full.body["requested"], "full");
  EXPECT_TRUE(wait_until([&] { return count(controller.log(), "inventory full report") == 3; }));
  EXPECT_EQ(host()["inventory_hash"], third);  // nothing changed on the host
}

TEST_F(InventoryTest, ADeltaBecomesASoftwareCiWithItsHistoryInTheCmdb) {
  auto h = wait_inventory_change("");
  const std::string first = h["inventory_hash"];
  auto none = controller.api("GET", "/api/v1/cmdb/software/hosts?package=htop");
  ASSERT_EQ(none.status, 200) << none.text;
  EXPECT_TRUE(none.body["items"].empty());

  install_dpkg_package("htop");
  ASSERT_EQ(controller.api("POST", "/api/v1/hosts/web-01/inventory").status, 202);
  h = wait_inventory_change(first);
  const std::string second = h["inventory_hash"];
  EXPECT_NE(controller.log().find("inventory delta " + first + " -> " + second + " (1 changes)"),
            std::string::npos);

  // "Which hosts run htop 1.0" is answered from the CMDB.
  auto running = controller.api("GET", "/api/v1/cmdb/software/hosts?package=htop&version=1.0");
  ASSERT_EQ(running.status, 200) << running.text;
  ASSERT_EQ(running.body["items"].size(), 1u) << running.text;
  const auto& install = running.body["items"][0];
  EXPECT_EQ(install["agent_id"], "web-01");
  EXPECT_EQ(install["manager"], "dpkg");
  EXPECT_TRUE(controller.api("GET", "/api/v1/cmdb/software/hosts?package=htop&version=2.0")
                  .body["items"]
                  .empty());

  // The software CI, its CMDB history (made by the second report) and its inventory history:
  // installed by exactly that delta.
  const std::string ci = std::to_string(install["software_ci"].get<std::int64_t>());
  auto sw = controller.api("GET", "/api/v1/cmdb/cis/" + ci);
  EXPECT_EQ(sw.body["class"], "software") << sw.text;
  EXPECT_EQ(sw.body["attributes"]["version"], "1.0");
  auto versions = controller.api("GET", "/api/v1/cmdb/cis/" + ci + "/history");
  ASSERT_EQ(versions.body["items"].size(), 1u) << versions.text;
  EXPECT_EQ(versions.body["items"][0]["changed_by"], "inventory:" + second);
  auto changes = controller.api("GET", "/api/v1/cmdb/cis/" + ci + "/inventory-changes");
  ASSERT_EQ(changes.status, 200) << changes.text;
  ASSERT_EQ(changes.body["items"].size(), 1u) << changes.text;
  EXPECT_EQ(changes.body["items"][0]["action"], "software.installed");
  EXPECT_EQ(changes.body["items"][0]["report"], second);
  EXPECT_EQ(changes.body["items"][0]["detail"]["package"], "htop");

  // The host's history: the first report's baseline, then the install.
  const std::string host_ci = std::to_string(install["host_ci"].get<std::int64_t>());
  auto on_host = controller.api("GET", "/api/v1/cmdb/cis/" + host_ci + "/inventory-changes");
  ASSERT_FALSE(on_host.body["items"].empty()) << on_host.text;
  EXPECT_EQ(on_host.body["items"][0]["action"], "software.installed");
  bool baseline = false;
  for (const auto& c : on_host.body["items"]) {
    if (c["action"] == "inventory.baseline") baseline = c["report"] == first;
  }
  EXPECT_TRUE(baseline) << on_host.text;

  // Hosts by any inventory fact, in the planner's query language.
  auto by_fact = [&](const std::string& q) {
    std::string encoded;
    for (unsigned char c : q) {
      if (std::isalnum(c)) {
        encoded += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        encoded += buf;
      }
    }
    return controller.api("GET", "/api/v1/hosts?q=" + encoded);
  };
  auto found = by_fact(R"(any software.dpkg.packages (name == "htop" and version == "1.0"))");
  ASSERT_EQ(found.status, 200) << found.text;
  ASSERT_EQ(found.body["items"].size(), 1u) << found.text;
  EXPECT_EQ(found.body["items"][0]["agent_id"], "web-01");
  EXPECT_TRUE(by_fact(R"(any software.dpkg.packages (name == "nope"))").body["items"].empty());
  auto bad_query = by_fact("any (");
  EXPECT_EQ(bad_query.status, 400) << bad_query.text;
  EXPECT_EQ(bad_query.body["error"]["code"], "query.syntax");

  // Refusals.
  auto no_name = controller.api("GET", "/api/v1/cmdb/software/hosts?version=1.0");
  EXPECT_EQ(no_name.status, 400);
  EXPECT_EQ(no_name.body["error"]["code"], "request.invalid_query");
  auto empty = controller.api("GET", "/api/v1/cmdb/software/hosts?package=htop&version=");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.body["error"]["context"], "version");
  EXPECT_EQ(controller.api("GET", "/api/v1/cmdb/cis/999999/inventory-changes").status, 404);
  EXPECT_EQ(controller.api("GET", "/api/v1/cmdb/cis/x/inventory-changes").status, 400);
}

TEST_F(InventoryTest, ABlacklistedPackageAppearingOnAHostIsAnAuditedAlert) {
  controller.stop();
  controller.config_overrides()["software_blacklist"] = nlohmann::json::array({"htop"});
  controller.start();  // same port: the agent reconnects
  auto first = wait_inventory_change("")["inventory_hash"].get<std::string>();
  auto alerts = [&] {
    return controller.api("GET", "/api/v1/audit?action=inventory.blacklisted_software")
        .body["items"];
  };
  EXPECT_TRUE(alerts().empty());

  install_dpkg_package("htop");
  ASSERT_EQ(controller.api("POST", "/api/v1/hosts/web-01/inventory").status, 202);
  auto second = wait_inventory_change(first)["inventory_hash"].get<std::string>();
  auto found = alerts();
  ASSERT_EQ(found.size(), 1u) << found.dump();
  EXPECT_EQ(found[0]["object_id"], "web-01");
  EXPECT_EQ(found[0]["actor"], "inventory:" + second);
  EXPECT_NE(found[0].dump().find("htop"), std::string::npos) << found[0].dump();

  // Still there in the next report: not a new alert.
  install_dpkg_package("tree");
  ASSERT_EQ(controller.api("POST", "/api/v1/hosts/web-01/inventory").status, 202);
  wait_inventory_change(second);
  EXPECT_EQ(alerts().size(), 1u);
}

TEST_F(InventoryTest, InventoryNowRefusesUnknownAndOfflineHostsAndBadBodies) {
  wait_inventory_change("");
  auto unknown = controller.api("POST", "/api/v1/hosts/nobody/inventory");
  EXPECT_EQ(unknown.status, 404) << unknown.text;
  EXPECT_EQ(unknown.body["error"]["code"], "host.not_found");

  auto bad = controller.api("POST", "/api/v1/hosts/web-01/inventory", {{"full", "yes"}});
  EXPECT_EQ(bad.status, 400) << bad.text;
  EXPECT_EQ(bad.body["error"]["code"], "protocol.wrong_type");
  auto extra = controller.api("POST", "/api/v1/hosts/web-01/inventory", {{"fast", true}});
  EXPECT_EQ(extra.status, 400) << extra.text;
  EXPECT_EQ(extra.body["error"]["code"], "protocol.unknown_field");

  agent().stop();
  ASSERT_TRUE(wait_until([&] { return !host().value("connected", true); }));
  auto offline = controller.api("POST", "/api/v1/hosts/web-01/inventory");
  EXPECT_EQ(offline.status, 409) << offline.text;
  EXPECT_EQ(offline.body["error"]["code"], "host.offline");
}

TEST_F(InventoryTest, HostsNotSeenForTheConfiguredTimeAreStale) {
  controller.stop();
  controller.config_overrides()["host_stale_after_seconds"] = 1;
  controller.start();  // same port: the agent reconnects
  ASSERT_TRUE(wait_until([&] { return host().value("connected", false); }));
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out;
    auto page = controller.api("GET", "/api/v1/hosts" + query);
    for (const auto& h : page.body["items"]) out.push_back(h["agent_id"]);
    return out;
  };
  EXPECT_FALSE(host()["stale"].get<bool>());  // connected hosts are never stale
  EXPECT_TRUE(ids("?stale=true").empty());
  EXPECT_EQ(ids("?stale=false"), std::vector<std::string>{"web-01"});

  agent().stop();
  ASSERT_TRUE(wait_until([&] { return host().value("stale", false); })) << host().dump();
  EXPECT_EQ(ids("?stale=true"), std::vector<std::string>{"web-01"});
  EXPECT_TRUE(ids("?stale=false").empty());
  EXPECT_EQ(ids("").size(), 1u);
  EXPECT_TRUE(controller.api("GET", "/api/v1/hosts").body["items"][0]["stale"].get<bool>());

  auto bad = controller.api("GET", "/api/v1/hosts?stale=yes");
  EXPECT_EQ(bad.status, 400) << bad.text;
  EXPECT_EQ(bad.body["error"]["code"], "request.invalid_value");
}

}  // namespace
}  // namespace relman::test
