#include "agent/inventory/basic_inventory.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.hpp"

namespace relman::agent {
namespace {

const std::filesystem::path kDebian12 =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/debian12";

TEST(BasicInventory, ReadsADebian12Tree) {
  auto r = collect_basic_inventory(kDebian12);
  EXPECT_EQ(r.hostname, "web-01.example.org");
  EXPECT_EQ(r.os_id, "debian");
  EXPECT_EQ(r.os_version, "12");
  EXPECT_EQ(r.os_pretty, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(r.kernel, "6.1.0-18-amd64");
  EXPECT_EQ(r.architecture, "x86_64");
  EXPECT_EQ(r.cpu_model, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
  EXPECT_EQ(r.cpu_count, 4);
  EXPECT_EQ(r.memory_mb, 16377356 / 1024);
}

TEST(BasicInventory, MissingFilesGiveEmptyValues) {
  test::TempDir empty("relman-inventory");
  auto r = collect_basic_inventory(empty.path());
  EXPECT_EQ(r.hostname, "");  // no gethostname fallback for a fixture root
  EXPECT_EQ(r.os_id, "");
  EXPECT_EQ(r.kernel, "");
  EXPECT_EQ(r.architecture, "");
  EXPECT_EQ(r.cpu_count, 0);
  EXPECT_EQ(r.memory_mb, 0);
  auto missing = collect_basic_inventory(empty.path() / "does-not-exist");
  EXPECT_EQ(missing.os_id, "");
}

TEST(BasicInventory, ToleratesOddOsReleaseQuotingAndGarbage) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "etc/os-release",
                   "# comment\n\nID='rhel'\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Say \\\"hi\\\"\"\n"
                   "garbage line\n");
  test::write_file(root / "proc/meminfo", "MemTotal: lots kB\n");
  test::write_file(root / "proc/cpuinfo", "processor: 0\n");
  auto r = collect_basic_inventory(root.path());
  EXPECT_EQ(r.os_id, "rhel");
  EXPECT_EQ(r.os_version, "9.3");
  EXPECT_EQ(r.os_pretty, "Say \"hi\"");
  EXPECT_EQ(r.memory_mb, 0);
  EXPECT_EQ(r.cpu_count, 1);
  EXPECT_EQ(r.cpu_model, "");
}

TEST(BasicInventory, BoundsWhatItReads) {
  test::TempDir root("relman-inventory");
  // A huge cpuinfo is read only up to the limit.
  std::string block = "processor\t: 0\nmodel name\t: X\n\n";
  std::string huge;
  while (huge.size() < 2 * kMaxInventoryFileBytes) huge += block;
  test::write_file(root / "proc/cpuinfo", huge);
  auto r = collect_basic_inventory(root.path());
  EXPECT_GT(r.cpu_count, 0);
  EXPECT_LE(r.cpu_count, static_cast<std::int64_t>(kMaxInventoryFileBytes / block.size() + 1));
}

TEST(BasicInventory, FillsTheBasicsOnThisMachine) {
  auto r = collect_basic_inventory();
  EXPECT_FALSE(r.hostname.empty());
  EXPECT_FALSE(r.os_id.empty());
  EXPECT_FALSE(r.kernel.empty());
  EXPECT_FALSE(r.architecture.empty());
  EXPECT_GT(r.cpu_count, 0);
  EXPECT_GT(r.memory_mb, 0);
}

}  // namespace
}  // namespace relman::agent
