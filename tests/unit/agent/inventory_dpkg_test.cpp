#include "agent/inventory/dpkg.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

const std::filesystem::path kServer =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

TEST(InventoryDpkg, ListsInstalledPackagesOnly) {
  auto info = collect_dpkg(kServer);
  EXPECT_FALSE(info.truncated);
  // oldtool (deinstall ok config-files) and half-gone (half-installed) are not installed.
  ASSERT_EQ(info.packages.size(), 4u);
  EXPECT_EQ(info.packages[0].name, "bash");
  EXPECT_EQ(info.packages[0].version, "5.2.15-2+b7");
  EXPECT_EQ(info.packages[0].architecture, "amd64");
  EXPECT_EQ(info.packages[0].installed_size_kib, 7164);
  EXPECT_EQ(info.packages[1].name, "libc6");
  EXPECT_EQ(info.packages[1].installed_size_kib, 12985);
  EXPECT_EQ(info.packages[2].name, "tzdata");
  EXPECT_EQ(info.packages[2].architecture, "all");
  EXPECT_EQ(info.packages[2].installed_size_kib, 0);  // "not-a-number"
  EXPECT_EQ(info.packages[3].name, "openssl");        // last stanza without a trailing blank line
  EXPECT_EQ(info.packages[3].version, "3.0.15-1~deb12u1");
  auto j = info.to_json();
  ASSERT_EQ(j["packages"].size(), 4u);
  EXPECT_EQ(j["packages"][0]["name"], "bash");
  EXPECT_EQ(j["packages"][0]["installed_size_kib"], 7164);
  EXPECT_EQ(j["truncated"], false);
}

TEST(InventoryDpkg, MissingFileGivesAnEmptyList) {
  test::TempDir root("relman-inventory");
  auto info = collect_dpkg(root.path());
  EXPECT_TRUE(info.packages.empty());
  EXPECT_FALSE(info.truncated);
}

TEST(InventoryDpkg, StopsAtThePackageCap) {
  test::TempDir root("relman-inventory");
  std::string status;
  for (std::size_t i = 0; i < kMaxDpkgPackages + 5; ++i) {
    status += "Package: p" + std::to_string(i) + "\nStatus: install ok installed\nVersion: 1\n\n";
  }
  test::write_file(root / "var/lib/dpkg/status", status);
  auto info = collect_dpkg(root.path());
  EXPECT_EQ(info.packages.size(), kMaxDpkgPackages);
  EXPECT_TRUE(info.truncated);
}

TEST(InventoryDpkg, ExactlyTheCapIsNotTruncated) {
  test::TempDir root("relman-inventory");
  std::string status;
  for (std::size_t i = 0; i < kMaxDpkgPackages; ++i) {
    status += "Package: p" + std::to_string(i) + "\nStatus: install ok installed\n\n";
  }
  test::write_file(root / "var/lib/dpkg/status", status);
  auto info = collect_dpkg(root.path());
  EXPECT_EQ(info.packages.size(), kMaxDpkgPackages);
  EXPECT_FALSE(info.truncated);
}

TEST(InventoryDpkg, SurvivesAVeryLongLineAndNoNames) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "var/lib/dpkg/status",
                   "Status: install ok installed\nVersion: 1\n\nPackage: big\nDescription: " +
                       std::string(1 << 20, 'x') +
                       "\nStatus: install ok installed\nVersion: 2\r\n");
  auto info = collect_dpkg(root.path());
  ASSERT_EQ(info.packages.size(), 1u);
  EXPECT_EQ(info.packages[0].name, "big");
  EXPECT_EQ(info.packages[0].version, "2");
}

TEST(InventoryDpkg, ListsPackagesOnThisMachine) {
  auto info = collect_dpkg();
  EXPECT_FALSE(info.packages.empty());
  bool found_dpkg = false;
  for (const auto& p : info.packages) {
    EXPECT_FALSE(p.name.empty());
    EXPECT_FALSE(p.version.empty());
    found_dpkg = found_dpkg || p.name == "dpkg";
  }
  EXPECT_TRUE(found_dpkg);
}

}  // namespace
}  // namespace relman::agent::inventory
