// The rpm fixture database was made with Debian's rpm 4.18 (sqlite backend): four empty
// packages built with rpmbuild and recorded with `rpm --dbpath ... -i --justdb`; see
// tests/fixtures/inventory/rpm/README.md.
#include "agent/inventory/rpm.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <map>

#include "tests/support/temp_dir.hpp"

namespace relman::agent::inventory {
namespace {

namespace fs = std::filesystem;

const fs::path kRpmTree = fs::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/rpm";

// A header blob: il, dl, then (tag, type, offset, count) entries, then `data`.
std::string header(const std::vector<std::array<std::uint32_t, 4>>& entries,
                   const std::string& data) {
  std::string out;
  auto put = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  };
  put(static_cast<std::uint32_t>(entries.size()));
  put(static_cast<std::uint32_t>(data.size()));
  for (const auto& e : entries) {
    for (auto v : e) put(v);
  }
  return out + data;
}

// A database like rpm's with these blobs in Packages.
void write_db(const fs::path& file, const std::vector<std::string>& blobs) {
  fs::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  for (const auto& b : blobs) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO Packages(blob) VALUES(?)", -1, &st, nullptr);
    sqlite3_bind_blob(st, 1, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
}

TEST(InventoryRpm, ReadsARealRpmDatabase) {
  auto info = collect_rpm(kRpmTree);
  ASSERT_TRUE(info.present);
  EXPECT_EQ(info.error, "");
  EXPECT_EQ(info.skipped, 0);
  ASSERT_EQ(info.packages.size(), 4u) << info.to_json().dump(2);
  std::multimap<std::string, RpmPackage> by_name;
  for (const auto& p : info.packages) by_name.emplace(p.name, p);
  const auto& hello = by_name.find("hello")->second;
  EXPECT_EQ(hello.epoch, 2);
  EXPECT_EQ(hello.version, "2.12");
  EXPECT_EQ(hello.release, "1.fc39");
  EXPECT_EQ(hello.architecture, "x86_64");
  EXPECT_EQ(hello.summary, "Test package hello");
  EXPECT_GT(hello.install_time, 1'700'000'000);
  EXPECT_EQ(by_name.count("kernel-core"), 2u);  // two versions side by side
  EXPECT_EQ(by_name.find("tzdata")->second.architecture, "noarch");
  EXPECT_EQ(by_name.find("tzdata")->second.epoch, -1);
  EXPECT_EQ(info.to_json()["packages"].size(), 4u);
}

TEST(InventoryRpm, NoDatabaseIsNotAnError) {
  test::TempDir root("relman-rpm");
  auto info = collect_rpm(root.path());
  EXPECT_FALSE(info.present);
  EXPECT_TRUE(info.packages.empty());
}

TEST(InventoryRpm, AGarbageDatabaseFileIsReportedNotFatal) {
  test::TempDir root("relman-rpm");
  test::write_file(root / "var/lib/rpm/rpmdb.sqlite", std::string(5000, '\x5a'));
  auto info = collect_rpm(root.path());
  EXPECT_TRUE(info.present);
  EXPECT_TRUE(info.packages.empty());
  EXPECT_NE(info.error, "");
  EXPECT_TRUE(info.to_json().contains("error"));
  // An SQLite file without rpm's table.
  fs::remove(root / "var/lib/rpm/rpmdb.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((root / "var/lib/rpm/rpmdb.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  info = collect_rpm(root.path());
  EXPECT_NE(info.error.find("not an rpm database"), std::string::npos) << info.error;
}

TEST(InventoryRpm, MalformedHeadersAreSkippedAndCounted) {
  std::string name_data = std::string("bash\0", 5);
  std::string good = header({{1000, 6, 0, 1}}, name_data);
  ASSERT_TRUE(parse_rpm_header(good));
  EXPECT_EQ(parse_rpm_header(good)->name, "bash");
  EXPECT_EQ(parse_rpm_header(good)->epoch, -1);

  std::vector<std::string> bad = {
      "",                                               // empty
      std::string("\0\0\0\1", 4),                       // cut in the preamble
      header({{1000, 6, 0, 1}}, "bash").substr(0, 20),  // cut in the index
      header({}, ""),                                   // no entries
      header({{1000, 6, 0, 1}}, "bash"),                // no NUL: runs off the data
      header({{1000, 6, 99, 1}}, name_data),            // offset past the data
      header({{1000, 4, 0, 1}}, name_data),             // name of the wrong type
      header({{1001, 6, 0, 1}}, name_data),             // no name at all
      header({{1000, 6, 0, 1}}, std::string(kMaxRpmStringBytes + 10, 'a') + '\0'),  // too long
  };
  // il and dl that claim more than the blob holds (and more than 2^32 when multiplied).
  std::string huge = good;
  huge[0] = huge[1] = huge[2] = huge[3] = '\xff';
  bad.push_back(huge);
  std::string long_data = good;
  long_data[4] = '\x7f';
  bad.push_back(long_data);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(parse_rpm_header(bad[i])) << "case " << i;
  }
  // Integers out of the data or misaligned are ignored, the package is kept.
  std::string ints = header({{1000, 6, 0, 1}, {1003, 4, 1, 1}, {1008, 4, 400, 1}}, name_data);
  auto p = parse_rpm_header(ints);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->epoch, -1);
  EXPECT_EQ(p->install_time, 0);

  test::TempDir root("relman-rpm");
  auto blobs = bad;
  blobs.push_back(good);
  write_db(root / "var/lib/rpm/rpmdb.sqlite", blobs);
  auto info = collect_rpm(root.path());
  EXPECT_EQ(info.error, "");
  ASSERT_EQ(info.packages.size(), 1u);
  EXPECT_EQ(info.packages[0].name, "bash");
  EXPECT_EQ(info.skipped, static_cast<std::int64_t>(bad.size()));
}

TEST(InventoryRpm, FindsTheDatabaseUnderUsrLibSysimage) {
  test::TempDir root("relman-rpm");
  write_db(root / "usr/lib/sysimage/rpm/rpmdb.sqlite",
           {header({{1000, 6, 0, 1}}, std::string("zypper\0", 7))});
  auto info = collect_rpm(root.path());
  ASSERT_EQ(info.packages.size(), 1u);
  EXPECT_EQ(info.packages[0].name, "zypper");
}

TEST(InventoryRpm, DoesNotFailOnThisMachine) {
  auto info = collect_rpm();
  for (const auto& p : info.packages) EXPECT_FALSE(p.name.empty());
  if (info.present) {
    EXPECT_EQ(info.error, "");
  }
}

}  // namespace
}  // namespace relman::agent::inventory
