#include "agent/inventory/cpu.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";
const std::filesystem::path kDebian12 =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/debian12";

TEST(InventoryCpu, CountsThreadsCoresAndSocketsOfATwoSocketServer) {
  auto cpu = collect_cpu(kServer);
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
  EXPECT_EQ(cpu.threads, 8);
  EXPECT_EQ(cpu.cores, 4);
  EXPECT_EQ(cpu.sockets, 2);
  // Whole words only: "sha_ni_not" is not sha_ni.
  EXPECT_EQ(cpu.features,
            (std::vector<std::string>{"sse4_2", "avx", "avx2", "avx512f", "aes", "vmx"}));
  auto j = cpu.to_json();
  EXPECT_EQ(j["threads"], 8);
  EXPECT_EQ(j["cores"], 4);
  EXPECT_EQ(j["sockets"], 2);
  EXPECT_EQ(j["features"].size(), 6u);
}

TEST(InventoryCpu, ReadsTheDebian12Fixture) {
  auto cpu = collect_cpu(kDebian12);
  EXPECT_EQ(cpu.threads, 4);
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
}

TEST(InventoryCpu, FallsBackToCpuCoresWithoutCoreIds) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "proc/cpuinfo",
                   "processor\t: 0\nphysical id\t: 0\ncpu cores\t: 6\n\n"
                   "processor\t: 1\nphysical id\t: 0\ncpu cores\t: 6\n");
  auto cpu = collect_cpu(root.path());
  EXPECT_EQ(cpu.threads, 2);
  EXPECT_EQ(cpu.sockets, 1);
  EXPECT_EQ(cpu.cores, 6);
}

TEST(InventoryCpu, MissingFileGivesZeroValues) {
  test::TempDir root("relman-inventory");
  auto cpu = collect_cpu(root.path());
  EXPECT_EQ(cpu.model, "");
  EXPECT_EQ(cpu.threads, 0);
  EXPECT_EQ(cpu.cores, 0);
  EXPECT_EQ(cpu.sockets, 0);
  EXPECT_TRUE(cpu.features.empty());
}

TEST(InventoryCpu, SkipsMalformedLines) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "proc/cpuinfo",
                   "garbage\nprocessor\t: 0\nphysical id\t: x\ncore id\t: 99999999999999999999\n"
                   "cpu cores\t: -3\n:\n::::\nflags\t:\n");
  auto cpu = collect_cpu(root.path());
  EXPECT_EQ(cpu.threads, 1);
  EXPECT_EQ(cpu.sockets, 0);
  EXPECT_EQ(cpu.cores, 0);
  EXPECT_TRUE(cpu.features.empty());
}

TEST(InventoryCpu, FindsProcessorsOnThisMachine) {
  auto cpu = collect_cpu();
  EXPECT_GT(cpu.threads, 0);
  EXPECT_LE(cpu.cores, cpu.threads);
}

}  // namespace
}  // namespace relman::agent::inventory
