#include "agent/inventory/dmi.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryDmi, ReadsVendorProductSerialAndChassis) {
  auto dmi = collect_dmi(kServer);
  EXPECT_EQ(dmi.sys_vendor, "Dell Inc.");
  EXPECT_EQ(dmi.product_name, "PowerEdge R740");
  EXPECT_EQ(dmi.product_serial, "ABC1234");
  EXPECT_EQ(dmi.product_uuid, "4c4c4544-0042-3510-8031-b3c04f4a3432");
  EXPECT_EQ(dmi.bios_vendor, "Dell Inc.");
  EXPECT_EQ(dmi.bios_version, "2.19.1");
  EXPECT_EQ(dmi.chassis_type, 23);
  EXPECT_EQ(dmi.chassis, "Rack Mount Chassis");
  auto j = dmi.to_json();
  EXPECT_EQ(j["product_serial"], "ABC1234");
  EXPECT_EQ(j["chassis"], "Rack Mount Chassis");
}

TEST(InventoryDmi, NamesChassisTypes) {
  EXPECT_EQ(chassis_type_name(1), "Other");
  EXPECT_EQ(chassis_type_name(2), "Unknown");
  EXPECT_EQ(chassis_type_name(3), "Desktop");
  EXPECT_EQ(chassis_type_name(9), "Laptop");
  EXPECT_EQ(chassis_type_name(10), "Notebook");
  EXPECT_EQ(chassis_type_name(17), "Main Server Chassis");
  EXPECT_EQ(chassis_type_name(23), "Rack Mount Chassis");
  EXPECT_EQ(chassis_type_name(0), "");
  EXPECT_EQ(chassis_type_name(99), "");
  EXPECT_EQ(chassis_type_name(-1), "");
}

TEST(InventoryDmi, UnreadableSerialAndGarbageChassisGiveEmptyValues) {
  test::TempDir root("relman-inventory");
  const auto dir = root / "sys/class/dmi/id";
  test::write_file(dir / "sys_vendor", "QEMU\n");
  test::write_file(dir / "product_serial", "secret\n");
  std::filesystem::permissions(dir / "product_serial", std::filesystem::perms::none);
  test::write_file(dir / "chassis_type", "rack\n");
  auto dmi = collect_dmi(root.path());
  EXPECT_EQ(dmi.sys_vendor, "QEMU");
  if (::geteuid() != 0) {
    EXPECT_EQ(dmi.product_serial, "");  // root reads it anyway
  }
  EXPECT_EQ(dmi.product_uuid, "");
  EXPECT_EQ(dmi.chassis_type, 0);
  EXPECT_EQ(dmi.chassis, "");
}

TEST(InventoryDmi, DoesNotFailOnThisMachine) {
  // Containers and some VMs have no /sys/class/dmi: whatever is there must come back
  // without an error, and a known chassis number always has a name.
  auto dmi = collect_dmi();
  if (dmi.chassis_type > 0 && dmi.chassis_type <= 36) {
    EXPECT_FALSE(dmi.chassis.empty());
  }
}

}  // namespace
}  // namespace relman::agent::inventory
