#include "agent/inventory/filesystems.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryFilesystems, KeepsDataFilesystemsWithoutSizesForAFixture) {
  auto info = collect_filesystems(kServer);
  ASSERT_EQ(info.filesystems.size(), 3u);
  EXPECT_EQ(info.filesystems[0].device, "/dev/mapper/vg0-root");
  EXPECT_EQ(info.filesystems[0].mount_point, "/");
  EXPECT_EQ(info.filesystems[0].type, "ext4");
  EXPECT_FALSE(info.filesystems[0].read_only);
  EXPECT_EQ(info.filesystems[0].size_bytes, 0u);
  EXPECT_EQ(info.filesystems[1].type, "vfat");
  EXPECT_EQ(info.filesystems[1].mount_point, "/boot/efi");
  EXPECT_EQ(info.filesystems[2].mount_point, "/srv/data store");  // \040 decoded
  EXPECT_EQ(info.filesystems[2].type, "xfs");
  EXPECT_TRUE(info.filesystems[2].read_only);
  auto j = info.to_json();
  ASSERT_EQ(j["filesystems"].size(), 3u);
  EXPECT_EQ(j["filesystems"][2]["read_only"], true);
  EXPECT_EQ(j["filesystems"][0]["size_bytes"], 0);
}

TEST(InventoryFilesystems, SkipsKernelAndMemoryFilesystems) {
  for (auto t : {"proc", "sysfs", "tmpfs", "devtmpfs", "cgroup", "cgroup2", "overlay", "devpts"}) {
    EXPECT_FALSE(is_data_filesystem(t)) << t;
  }
  for (auto t : {"ext4", "xfs", "btrfs", "vfat", "zfs", "nfs4"}) {
    EXPECT_TRUE(is_data_filesystem(t)) << t;
  }
}

TEST(InventoryFilesystems, MissingFileAndShortLinesGiveNothing) {
  test::TempDir root("relman-inventory");
  EXPECT_TRUE(collect_filesystems(root.path()).filesystems.empty());
  test::write_file(root / "proc/mounts", "/dev/sda1 / ext4\n\n   \n/dev/sdb1\n\\\n");
  EXPECT_TRUE(collect_filesystems(root.path()).filesystems.empty());
}

TEST(InventoryFilesystems, SizesRealFilesystemsOnThisMachine) {
  for (const auto& fs : collect_filesystems().filesystems) {
    EXPECT_TRUE(is_data_filesystem(fs.type));
    EXPECT_FALSE(fs.mount_point.empty());
    if (fs.type != "nfs" && fs.type != "nfs4") {
      EXPECT_GT(fs.size_bytes, 0u) << fs.mount_point;
    }
    EXPECT_LE(fs.available_bytes, fs.size_bytes);
  }
}

}  // namespace
}  // namespace relman::agent::inventory
