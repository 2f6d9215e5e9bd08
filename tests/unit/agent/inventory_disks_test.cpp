#include "agent/inventory/disks.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryDisks, ListsWholeDisksAndSkipsLoopDevices) {
  auto info = collect_disks(kServer);
  ASSERT_EQ(info.disks.size(), 2u);
  const auto& nvme = info.disks[0];
  EXPECT_EQ(nvme.name, "nvme0n1");
  EXPECT_EQ(nvme.size_bytes, 1000215216LL * 512);
  EXPECT_FALSE(nvme.rotational);
  EXPECT_EQ(nvme.model, "Samsung SSD 980 PRO 1TB");
  EXPECT_EQ(nvme.serial, "S5GXNF0R123456");
  const auto& sda = info.disks[1];
  EXPECT_EQ(sda.name, "sda");
  EXPECT_EQ(sda.size_bytes, 3907029168LL * 512);
  EXPECT_TRUE(sda.rotational);
  EXPECT_EQ(sda.model, "ST2000NM0055-1V4");
  EXPECT_EQ(sda.serial, "");
  auto j = info.to_json();
  ASSERT_EQ(j["disks"].size(), 2u);
  EXPECT_EQ(j["disks"][1]["rotational"], true);
}

TEST(InventoryDisks, SkipsVirtualDevices) {
  EXPECT_TRUE(is_virtual_block_device("loop0"));
  EXPECT_TRUE(is_virtual_block_device("ram15"));
  EXPECT_TRUE(is_virtual_block_device("zram0"));
  EXPECT_TRUE(is_virtual_block_device("dm-3"));
  EXPECT_FALSE(is_virtual_block_device("sda"));
  EXPECT_FALSE(is_virtual_block_device("vda"));
  EXPECT_FALSE(is_virtual_block_device("md0"));
}

TEST(InventoryDisks, MissingAndMalformedAttributesGiveEmptyValues) {
  test::TempDir root("relman-inventory");
  EXPECT_TRUE(collect_disks(root.path()).disks.empty());
  test::write_file(root / "sys/block/sdb/size", "huge\n");
  test::write_file(root / "sys/block/sdc/size", "99999999999999999999999\n");
  auto info = collect_disks(root.path());
  ASSERT_EQ(info.disks.size(), 2u);
  EXPECT_EQ(info.disks[0].size_bytes, 0);
  EXPECT_EQ(info.disks[1].size_bytes, 0);
  EXPECT_FALSE(info.disks[0].rotational);
  EXPECT_EQ(info.disks[0].model, "");
}

TEST(InventoryDisks, DoesNotFailOnThisMachine) {
  for (const auto& d : collect_disks().disks) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_FALSE(is_virtual_block_device(d.name));
    EXPECT_GE(d.size_bytes, 0);
  }
}

}  // namespace
}  // namespace relman::agent::inventory
