#include "agent/inventory/systemd.hpp"

#include <gtest/gtest.h>

#include <map>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

namespace fs = std::filesystem;

const fs::path kServer = fs::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";

std::map<std::string, SystemdUnit> by_name(const SystemdInfo& info) {
  std::map<std::string, SystemdUnit> out;
  for (const auto& u : info.units) out[u.name] = u;
  return out;
}

TEST(InventorySystemd, ReadsUnitFilesEnablementMasksAndRunningUnits) {
  auto info = collect_systemd(kServer);
  auto units = by_name(info);
  ASSERT_EQ(units.size(), 8u) << info.to_json().dump(2);
  EXPECT_FALSE(info.truncated);

  EXPECT_EQ(units["nginx.service"].state, "enabled");
  EXPECT_EQ(units["nginx.service"].source, "lib");
  EXPECT_EQ(units["nginx.service"].description, "A high performance web server");
  EXPECT_EQ(units["nginx.service"].wanted_by, std::vector<std::string>{"multi-user.target"});
  EXPECT_TRUE(units["nginx.service"].active);

  // The administrator's copy in /etc wins over the vendor's.
  EXPECT_EQ(units["ssh.service"].source, "etc");
  EXPECT_EQ(units["ssh.service"].description, "OpenBSD Secure Shell server (site copy)");
  EXPECT_EQ(units["ssh.service"].state, "enabled");
  EXPECT_FALSE(units["ssh.service"].active);

  EXPECT_EQ(units["sshd.service"].state, "alias");
  EXPECT_EQ(units["bluetooth.service"].state, "masked");  // masked although a .wants links it
  EXPECT_TRUE(units["bluetooth.service"].wanted_by.empty());
  EXPECT_EQ(units["backup.timer"].state, "disabled");
  EXPECT_EQ(units["backup.timer"].source, "etc");
  EXPECT_EQ(units["systemd-journald.service"].state, "static");
  EXPECT_TRUE(units["systemd-journald.service"].active);
  EXPECT_EQ(units["multi-user.target"].state, "static");
  // An enabled instance enables its template.
  EXPECT_EQ(units["getty@.service"].state, "enabled");
  EXPECT_EQ(units["getty@.service"].wanted_by, std::vector<std::string>{"getty.target"});
  EXPECT_FALSE(units.contains("README"));

  auto j = info.to_json();
  EXPECT_EQ(j["units"][0]["name"], "backup.timer");  // sorted by name
}

TEST(InventorySystemd, UnitNamesAreValidated) {
  EXPECT_TRUE(is_unit_name("nginx.service"));
  EXPECT_TRUE(is_unit_name("getty@tty1.service"));
  EXPECT_TRUE(is_unit_name("dev-sda1.swap"));
  EXPECT_FALSE(is_unit_name("README"));
  EXPECT_FALSE(is_unit_name(".service"));
  EXPECT_FALSE(is_unit_name("a b.service"));
  EXPECT_FALSE(is_unit_name("x.service\n"));
  EXPECT_FALSE(is_unit_name("\xff\xfe.service"));
  EXPECT_FALSE(is_unit_name(std::string(300, 'a') + ".service"));
}

TEST(InventorySystemd, SurvivesGarbageAndNeverLeavesTheRoot) {
  test::TempDir root("relman-systemd");
  EXPECT_TRUE(collect_systemd(root.path()).units.empty());
  EXPECT_TRUE(collect_systemd(root / "missing").units.empty());
  auto etc = root / "etc/systemd/system";
  test::write_file(etc / "binary.service", std::string("\0\xff\x01[Install]\0garbage", 20));
  test::write_file(etc / "huge.service",
                   "[Unit]\nDescription=" + std::string(kMaxUnitFileBytes * 2, 'x') + "\n");
  test::write_file(etc / "odd name.service", "[Install]\n");
  fs::create_directories(etc / "dir.service");
  fs::create_symlink("loop.service", etc / "loop.service");
  // Outside the root: never read, even through a relative link.
  test::TempDir outside("relman-outside");
  test::write_file(outside / "escape.service", "[Unit]\nDescription=SECRET\n[Install]\n");
  fs::create_symlink((outside / "escape.service").lexically_relative(etc), etc / "escape.service");
  fs::create_symlink("/etc/passwd", etc / "abs.service");
  fs::create_directories(etc / "multi-user.target.wants");
  fs::create_symlink("/nowhere", etc / "multi-user.target.wants/bad\nname.service");
  test::write_file(etc / "multi-user.target.wants/file.service", "not a link");

  auto units = by_name(collect_systemd(root.path()));
  EXPECT_EQ(units.size(), 5u);
  EXPECT_EQ(units["binary.service"].state, "static");  // "[Install]" is not a line of its own
  EXPECT_LE(units["huge.service"].description.size(), kMaxUnitNameLength);
  EXPECT_EQ(units["loop.service"].state, "static");
  EXPECT_EQ(units["escape.service"].description, "");
  EXPECT_EQ(units["escape.service"].state, "static");
  EXPECT_EQ(units["abs.service"].description, "");
  EXPECT_FALSE(units.contains("odd name.service"));
  EXPECT_FALSE(units.contains("dir.service"));
}

TEST(InventorySystemd, DoesNotFailOnThisMachine) {
  for (const auto& u : collect_systemd().units) {
    EXPECT_TRUE(is_unit_name(u.name));
    EXPECT_FALSE(u.state.empty()) << u.name;
  }
}

}  // namespace
}  // namespace relman::agent::inventory
