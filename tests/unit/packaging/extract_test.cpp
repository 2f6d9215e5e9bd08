#include "packaging/extract.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "tests/support/tar_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::packaging {
namespace {

namespace fs = std::filesystem;
using relman::test::read_file;
using relman::test::tar_dir;
using relman::test::tar_file;
using relman::test::tar_hardlink;
using relman::test::tar_special;
using relman::test::tar_symlink;
using relman::test::TarEntry;
using relman::test::TempDir;
using relman::test::write_tar;

std::string random_suffix() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

unsigned file_mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// Every refusal: the code is the expected one, the destination is gone, and nothing new
// appeared next to it (the parent held only the archive before extraction).
class SecureExtract : public ::testing::Test {
 protected:
  void expect_refused(const std::vector<TarEntry>& entries, const std::string& code,
                      const ExtractLimits& limits = {}) {
    write_tar(dir_ / "in.tar", entries);
    auto r = secure_extract(dir_ / "in.tar", dir_ / "dest", limits);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << r.error().describe();
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "dest")));
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      left.push_back(e.path().filename().string());
    }
    EXPECT_EQ(left, std::vector<std::string>{"in.tar"});
  }

  TempDir dir_;
};

TEST(CheckEntryPath, CleansHarmlessNamesAndRefusesEscapes) {
  EXPECT_EQ(check_entry_path("./a//b/").value(), "a/b");
  EXPECT_EQ(check_entry_path("a/./b").value(), "a/b");
  EXPECT_EQ(check_entry_path("./").value(), "");
  EXPECT_EQ(check_entry_path("/etc/x").error().code, "extract.absolute_path");
  EXPECT_EQ(check_entry_path("../x").error().code, "extract.parent_reference");
  EXPECT_EQ(check_entry_path("a/../../x").error().code, "extract.parent_reference");
  EXPECT_EQ(check_entry_path("a/..").error().code, "extract.parent_reference");
}

TEST_F(SecureExtract, ExtractsABenignArchive) {
  write_tar(dir_ / "in.tar",
            {tar_dir("./", 0755), tar_dir("bin/", 0755), tar_file("bin/tool", "#!/bin/sh\n", 04755),
             tar_file("etc/app.conf", "x=1\n", 0666), tar_symlink("etc/current", "../bin/tool"),
             tar_file("empty", "", 0600)});
  auto r = secure_extract(dir_ / "in.tar", dir_ / "dest");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  auto dest = dir_ / "dest";
  EXPECT_EQ(read_file(dest / "bin/tool"), "#!/bin/sh\n");
  EXPECT_EQ(read_file(dest / "etc/app.conf"), "x=1\n");
  EXPECT_EQ(read_file(dest / "etc/current"), "#!/bin/sh\n");  // through the inside link
  EXPECT_EQ(fs::read_symlink(dest / "etc/current"), "../bin/tool");
  EXPECT_EQ(file_mode(dest / "bin/tool"), 0755u);      // setuid dropped
  EXPECT_EQ(file_mode(dest / "etc/app.conf"), 0644u);  // group/other write dropped
  EXPECT_EQ(file_mode(dest / "empty"), 0600u);
  EXPECT_EQ(file_mode(dest), 0755u);
  EXPECT_EQ(fs::file_size(dest / "empty"), 0u);
}

TEST_F(SecureExtract, RefusesAnExistingDestination) {
  write_tar(dir_ / "in.tar", {tar_file("a", "x")});
  fs::create_directory(dir_ / "dest");
  auto r = secure_extract(dir_ / "in.tar", dir_ / "dest");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "extract.destination_exists");
  EXPECT_TRUE(fs::exists(dir_ / "dest"));  // not ours: left alone
}

TEST_F(SecureExtract, RefusesParentReference) {
  expect_refused({tar_file("ok", "fine"), tar_file("../x", "evil")}, "extract.parent_reference");
  EXPECT_FALSE(fs::exists(dir_ / "x"));  // where "../x" from dest/ would land
}

TEST_F(SecureExtract, RefusesAbsolutePathAndWritesNothingThere) {
  const fs::path evil = "/tmp/relman-evil-" + random_suffix();
  expect_refused({tar_file("ok", "fine"), tar_file(evil.string(), "evil")},
                 "extract.absolute_path");
  EXPECT_FALSE(fs::exists(fs::symlink_status(evil)));
}

TEST_F(SecureExtract, RefusesSymlinkPointingOutside) {
  expect_refused({tar_symlink("link", "../../outside")}, "extract.link_escapes");
  expect_refused({tar_symlink("a/b/link", "../../../outside")}, "extract.link_escapes");
  expect_refused({tar_symlink("link", "/etc")}, "extract.link_escapes");
}

TEST_F(SecureExtract, RefusesSymlinkEscapingThroughAnotherLink) {
  // "sub/l1" -> ".." is the root; "x" -> "sub/l1/.." is "sub" lexically but one level above
  // the root for the kernel. Refused in either order.
  expect_refused({tar_symlink("sub/l1", ".."), tar_symlink("x", "sub/l1/..")},
                 "extract.link_escapes");
  expect_refused({tar_symlink("x", "sub/l1/.."), tar_symlink("sub/l1", "..")},
                 "extract.link_escapes");
  // a -> b/.. with b -> x/y.
  expect_refused({tar_symlink("b", "x/y"), tar_symlink("a", "b/..")}, "extract.link_escapes");
}

TEST_F(SecureExtract, RefusesWritingThroughAnExtractedSymlink) {
  expect_refused({tar_symlink("d", "."), tar_file("d/file", "through the link")},
                 "extract.link_escapes");
}

TEST_F(SecureExtract, RefusesHardLinks) {
  expect_refused({tar_file("a", "x"), tar_hardlink("b", "a")}, "extract.hardlink_refused");
}

TEST_F(SecureExtract, RefusesFifosAndDevices) {
  expect_refused({tar_special("fifo", AE_IFIFO)}, "extract.special_file");
  expect_refused({tar_special("null", AE_IFCHR)}, "extract.special_file");
}

TEST_F(SecureExtract, RefusesEntriesLargerThanTheLimit) {
  ExtractLimits limits;
  limits.max_entry_bytes = 100;
  expect_refused({tar_file("small", "ok"), tar_file("big", std::string(101, 'x'))},
                 "extract.too_large", limits);
  limits = {};
  limits.max_total_bytes = 150;
  expect_refused({tar_file("a", std::string(100, 'x')), tar_file("b", std::string(100, 'x'))},
                 "extract.too_large", limits);
}

TEST_F(SecureExtract, RefusesTooManyEntries) {
  ExtractLimits limits;
  limits.max_entries = 3;
  std::vector<TarEntry> entries;
  for (int i = 0; i < 5; ++i) entries.push_back(tar_file("f" + std::to_string(i), "x"));
  expect_refused(entries, "extract.too_many_entries", limits);
}

TEST_F(SecureExtract, RefusesDuplicateEntries) {
  expect_refused({tar_file("a", "1"), tar_file("a", "2")}, "extract.duplicate_entry");
}

TEST_F(SecureExtract, RefusesAnArchiveThatIsNotATar) {
  relman::test::write_file(dir_ / "in.tar", std::string(2048, 'z'));
  auto r = secure_extract(dir_ / "in.tar", dir_ / "dest");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "extract.read_failed");
  EXPECT_FALSE(fs::exists(dir_ / "dest"));
}

}  // namespace
}  // namespace relman::packaging
