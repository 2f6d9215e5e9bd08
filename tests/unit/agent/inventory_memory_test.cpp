#include "agent/inventory/memory.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryMemory, ReadsTotalsInMiB) {
  auto mem = collect_memory(kServer);
  EXPECT_EQ(mem.total_mib, 263856432 / 1024);
  EXPECT_EQ(mem.available_mib, 200000000 / 1024);
  EXPECT_EQ(mem.swap_total_mib, 8388604 / 1024);
  auto j = mem.to_json();
  EXPECT_EQ(j["total_mib"], 263856432 / 1024);
  EXPECT_EQ(j["swap_total_mib"], 8388604 / 1024);
}

TEST(InventoryMemory, MissingFileOrGarbageGivesZero) {
  test::TempDir root("relman-inventory");
  EXPECT_EQ(collect_memory(root.path()).total_mib, 0);
  test::write_file(root / "proc/meminfo",
                   "MemTotal: lots kB\nMemAvailable: -5 kB\nnonsense\nSwapTotal: 2048 kB\n");
  auto mem = collect_memory(root.path());
  EXPECT_EQ(mem.total_mib, 0);
  EXPECT_EQ(mem.available_mib, 0);
  EXPECT_EQ(mem.swap_total_mib, 2);
}

TEST(InventoryMemory, FindsMemoryOnThisMachine) {
  auto mem = collect_memory();
  EXPECT_GT(mem.total_mib, 0);
  EXPECT_GT(mem.available_mib, 0);
  EXPECT_LE(mem.available_mib, mem.total_mib);
}

}  // namespace
}  // namespace relman::agent::inventory
