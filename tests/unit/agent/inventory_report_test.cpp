#include "agent/inventory/inventory_report.hpp"

#include "agent/inventory/text_file.hpp"
#include "protocol/json_limits.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace relman::agent {
namespace {

const std::filesystem::path kDebian12 =
    std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/debian12";

TEST(InventoryReport, ReadsADebian12Tree) {
  auto r = collect_inventory(kDebian12);
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

TEST(InventoryReport, IsNamedByTheHashOfItsDocument) {
  auto r = collect_inventory(kDebian12);
  ASSERT_EQ(r.hash.size(), 64u);
  EXPECT_EQ(r.hash, *protocol::inventory_hash(protocol::inventory_document(r)));
  EXPECT_EQ(collect_inventory(kDebian12).hash, r.hash);  // the same tree, the same name
  r.memory_mb += 1;
  EXPECT_NE(*protocol::inventory_hash(protocol::inventory_document(r)),
            collect_inventory(kDebian12).hash);
}

TEST(InventoryReport, MissingFilesGiveEmptyValues) {
  test::TempDir empty("relman-inventory");
  auto r = collect_inventory(empty.path());
  EXPECT_EQ(r.hostname, "");  // no gethostname fallback for a fixture root
  EXPECT_EQ(r.os_id, "");
  EXPECT_EQ(r.kernel, "");
  EXPECT_EQ(r.architecture, "");
  EXPECT_EQ(r.cpu_count, 0);
  EXPECT_EQ(r.memory_mb, 0);
  auto missing = collect_inventory(empty.path() / "does-not-exist");
  EXPECT_EQ(missing.os_id, "");
}

TEST(InventoryReport, ToleratesOddOsReleaseQuotingAndGarbage) {
  test::TempDir root("relman-inventory");
  test::write_file(root / "etc/os-release",
                   "# comment\n\nID='rhel'\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Say \\\"hi\\\"\"\n"
                   "garbage line\n");
  test::write_file(root / "proc/meminfo", "MemTotal: lots kB\n");
  test::write_file(root / "proc/cpuinfo", "processor: 0\n");
  auto r = collect_inventory(root.path());
  EXPECT_EQ(r.os_id, "rhel");
  EXPECT_EQ(r.os_version, "9.3");
  EXPECT_EQ(r.os_pretty, "Say \"hi\"");
  EXPECT_EQ(r.memory_mb, 0);
  EXPECT_EQ(r.cpu_count, 1);
  EXPECT_EQ(r.cpu_model, "");
}

TEST(InventoryReport, BoundsWhatItReads) {
  test::TempDir root("relman-inventory");
  // A huge cpuinfo is read only up to the limit.
  std::string block = "processor\t: 0\nmodel name\t: X\n\n";
  std::string huge;
  while (huge.size() < 2 * inventory::kMaxCollectorFileBytes) huge += block;
  test::write_file(root / "proc/cpuinfo", huge);
  auto r = collect_inventory(root.path());
  EXPECT_GT(r.cpu_count, 0);
  EXPECT_LE(r.cpu_count,
            static_cast<std::int64_t>(inventory::kMaxCollectorFileBytes / block.size() + 1));
}

TEST(InventoryReport, FillsTheBasicsOnThisMachine) {
  auto r = collect_inventory();
  EXPECT_FALSE(r.hostname.empty());
  EXPECT_FALSE(r.os_id.empty());
  EXPECT_FALSE(r.kernel.empty());
  EXPECT_FALSE(r.architecture.empty());
  EXPECT_GT(r.cpu_count, 0);
  EXPECT_GT(r.memory_mb, 0);
}

TEST(InventoryReport, CarriesEveryCollectorsFactsFromAServerTree) {
  auto root = std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory/server";
  auto r = collect_inventory(root);
  EXPECT_EQ(r.facts["cpu"]["sockets"], 2) << r.facts.dump(2);
  EXPECT_EQ(r.facts["dmi"]["chassis"], "Rack Mount Chassis") << r.facts.dump(2);
  EXPECT_FALSE(r.facts["software"]["dpkg"]["packages"].empty());
  EXPECT_FALSE(r.facts["software"]["dpkg"]["truncated"].get<bool>());
  for (const char* key : {"os", "memory", "disks", "network", "filesystems"}) {
    EXPECT_TRUE(r.facts.contains(key)) << key;
  }
  // What the agent sends is what the controller accepts.
  auto decoded = protocol::decode_message(protocol::encode_message(r));
  EXPECT_TRUE(decoded) << decoded.error().describe();
}

// tests/fixtures/inventory/reports/server.json is the message the agent sends for the server
// tree; the controller's query tests read it as a stored report. It must stay what the
// collectors produce: run with RELMAN_UPDATE_FIXTURES=1 to rewrite it after changing them.
TEST(InventoryReport, TheServerReportFixtureIsWhatTheCollectorsSend) {
  const auto fixtures = std::filesystem::path(RELMAN_SOURCE_DIR) / "tests/fixtures/inventory";
  const auto text = protocol::encode_message(collect_inventory(fixtures / "server"));
  const auto file = fixtures / "reports/server.json";
  if (std::getenv("RELMAN_UPDATE_FIXTURES")) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << nlohmann::json::parse(text).dump(2) << "\n";
  }
  std::ifstream in(file);
  ASSERT_TRUE(in) << file << " is missing; run with RELMAN_UPDATE_FIXTURES=1";
  std::stringstream stored;
  stored << in.rdbuf();
  EXPECT_EQ(nlohmann::json::parse(stored.str(), nullptr, false), nlohmann::json::parse(text))
      << "the collectors changed; run with RELMAN_UPDATE_FIXTURES=1 and review the diff";
}

TEST(InventoryReport, CutsAnOversizedSoftwareListToStayWithinTheReportLimit) {
  test::TempDir root("relman-inventory");
  std::string status;
  for (int i = 0; status.size() < 2 * protocol::kMaxInventoryBytes; ++i) {
    status += "Package: package-with-a-long-name-" + std::to_string(i) +
              "\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0." +
              std::to_string(i) + "-1+deb12u1\nInstalled-Size: 42\n\n";
  }
  test::write_file(root / "var/lib/dpkg/status", status);
  test::write_file(root / "proc/sys/kernel/hostname", "big-01\n");
  auto r = collect_inventory(root.path());
  EXPECT_TRUE(r.facts["software"]["dpkg"]["truncated"].get<bool>());
  EXPECT_FALSE(r.facts["software"]["dpkg"]["packages"].empty());
  auto text = protocol::encode_message(r);
  EXPECT_LE(text.size(), protocol::kMaxInventoryBytes);
  auto decoded = protocol::decode_message(text);
  EXPECT_TRUE(decoded) << decoded.error().describe();
}

TEST(InventoryReport, ListsInstalledSoftwareOnThisMachine) {
  auto r = collect_inventory("/");
  EXPECT_FALSE(r.facts["software"]["dpkg"]["packages"].empty());
  EXPECT_GT(r.facts["cpu"]["threads"].get<std::int64_t>(), 0);
  EXPECT_TRUE(protocol::decode_message(protocol::encode_message(r)));
}

}  // namespace
}  // namespace relman::agent
