#include "agent/inventory/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryNetwork, ListsInterfacesFromSysfs) {
  auto info = collect_network(kServer);
  ASSERT_EQ(info.interfaces.size(), 2u);
  const auto& eth0 = info.interfaces[0];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.mac, "3c:ec:ef:12:34:56");
  EXPECT_EQ(eth0.speed_mbps, 10000);
  EXPECT_EQ(eth0.operstate, "up");
  EXPECT_TRUE(eth0.addresses.empty());  // a fixture tree has no kernel to ask
  EXPECT_EQ(info.interfaces[1].name, "lo");
  auto j = info.to_json();
  ASSERT_EQ(j["interfaces"].size(), 2u);
  EXPECT_EQ(j["interfaces"][0]["mac"], "3c:ec:ef:12:34:56");
  EXPECT_TRUE(j["interfaces"][0]["addresses"].is_array());
}

TEST(InventoryNetwork, AttachesAddressesToTheirInterfaces) {
  auto info = collect_network(kServer);
  attach_addresses(info, {{"eth0", "192.0.2.10/24"},
                          {"eth0", "2001:db8::10/64"},
                          {"eth0", "192.0.2.10/24"},  // listed twice: kept once
                          {"lo", "127.0.0.1/8"},
                          {"wg0", "10.0.0.1/32"}});  // not in sysfs: added
  ASSERT_EQ(info.interfaces.size(), 3u);
  EXPECT_EQ(info.interfaces[0].addresses,
            (std::vector<std::string>{"192.0.2.10/24", "2001:db8::10/64"}));
  EXPECT_EQ(info.interfaces[1].addresses, std::vector<std::string>{"127.0.0.1/8"});
  EXPECT_EQ(info.interfaces[2].name, "wg0");
  EXPECT_EQ(info.interfaces[2].speed_mbps, -1);
}

TEST(InventoryNetwork, ReportsTheLoopbackAddressOnThisMachine) {
  auto info = collect_network();
  auto lo = std::find_if(info.interfaces.begin(), info.interfaces.end(),
                         [](const NetworkInterface& n) { return n.name == "lo"; });
  ASSERT_NE(lo, info.interfaces.end());
  EXPECT_NE(std::find(lo->addresses.begin(), lo->addresses.end(), "127.0.0.1/8"),
            lo->addresses.end())
      << info.to_json().dump();
}

TEST(InventoryNetwork, UnknownSpeedIsMinusOneAndStrayFilesAreSkipped) {
  test::TempDir root("relman-inventory");
  EXPECT_TRUE(collect_network(root.path()).interfaces.empty());
  test::write_file(root / "sys/class/net/bonding_masters", "bond0\n");
  test::write_file(root / "sys/class/net/wlan0/speed", "-1\n");
  test::write_file(root / "sys/class/net/wlan0/operstate", "down\n");
  test::write_file(root / "sys/class/net/veth1/speed", "fast\n");
  auto info = collect_network(root.path());
  ASSERT_EQ(info.interfaces.size(), 2u);
  EXPECT_EQ(info.interfaces[0].name, "veth1");
  EXPECT_EQ(info.interfaces[0].speed_mbps, -1);
  EXPECT_EQ(info.interfaces[1].name, "wlan0");
  EXPECT_EQ(info.interfaces[1].speed_mbps, -1);
  EXPECT_EQ(info.interfaces[1].operstate, "down");
  EXPECT_EQ(info.interfaces[1].mac, "");
}

TEST(InventoryNetwork, DoesNotFailOnThisMachine) {
  for (const auto& nic : collect_network().interfaces) EXPECT_FALSE(nic.name.empty());
}

}  // namespace
}  // namespace relman::agent::inventory
