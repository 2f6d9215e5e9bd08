#include "agent/inventory/relman_packages.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

namespace fs = std::filesystem;

TEST(InventoryRelmanPackages, ListsInstalledVersionsWithTheTimeCurrentSwitched) {
  test::TempDir root("relman-installed");
  fs::create_directories(root / "app/1.2.0");
  fs::create_directory_symlink("1.2.0", root / "app/current");
  auto info = collect_relman_packages({{"app", "1.2.0"}, {"tool", "0.1"}}, root.path());
  ASSERT_EQ(info.packages.size(), 2u);
  EXPECT_EQ(info.packages[0].name, "app");
  EXPECT_EQ(info.packages[0].version, "1.2.0");
  EXPECT_GT(info.packages[0].installed_at, 1'700'000'000);
  EXPECT_EQ(info.packages[1].name, "tool");
  EXPECT_EQ(info.packages[1].installed_at, 0);  // no current link: unknown
  auto j = info.to_json();
  EXPECT_EQ(j["packages"][0]["version"], "1.2.0");
}

TEST(InventoryRelmanPackages, NothingInstalledIsAnEmptyList) {
  auto info = collect_relman_packages({}, "/nonexistent");
  EXPECT_TRUE(info.packages.empty());
  EXPECT_TRUE(info.to_json()["packages"].is_array());
}

}  // namespace
}  // namespace relman::agent::inventory
