#include "agent/inventory/os.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryOs, ReadsReleaseKernelBootTimeAndTimezone) {
  auto os = collect_os(kServer);
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "12");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(os.version_codename, "bookworm");
  EXPECT_EQ(os.kernel, "6.1.0-27-amd64");
  EXPECT_EQ(os.boot_time, 1732435200);
  EXPECT_EQ(os.timezone, "Europe/Lisbon");
  auto j = os.to_json();
  EXPECT_EQ(j["id"], "debian");
  EXPECT_EQ(j["boot_time"], 1732435200);
}

TEST(InventoryOs, TakesTheTimezoneFromTheLocaltimeLink) {
  test::TempDir root("relman-inventory");
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_symlink("/usr/share/zoneinfo/America/Sao_Paulo", root / "etc/localtime");
  EXPECT_EQ(collect_os(root.path()).timezone, "America/Sao_Paulo");
}

TEST(InventoryOs, FallsBackToUsrLibOsRelease) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "usr/lib/os-release", "ID='rhel'\nVERSION_ID=\"9.3\"\n");
  auto os = collect_os(root.path());
  EXPECT_EQ(os.id, "rhel");
  EXPECT_EQ(os.version_id, "9.3");
}

TEST(InventoryOs, MissingFilesAndGarbageGiveEmptyValues) {
  test::TempDir root("relman-inventory");
  auto os = collect_os(root.path());
  EXPECT_EQ(os.id, "");
  EXPECT_EQ(os.kernel, "");
  EXPECT_EQ(os.boot_time, 0);
  EXPECT_EQ(os.timezone, "");
  test::write_file(root / "etc/os-release", "garbage\n=\nID=\"unterminated\n");
  test::write_file(root / "proc/stat", "btime soon\nbtime\n");
  os = collect_os(root.path());
  EXPECT_EQ(os.id, "\"unterminated");
  EXPECT_EQ(os.boot_time, 0);
}

TEST(InventoryOs, DescribesThisMachine) {
  auto os = collect_os();
  EXPECT_FALSE(os.id.empty());
  EXPECT_FALSE(os.kernel.empty());
  EXPECT_GT(os.boot_time, 0);
}

}  // namespace
}  // namespace relman::agent::inventory
