// The agent's choice between a full inventory report and a delta, and what an ack or a request
// for a full report does to it.
#include "agent/link/inventory_reporter.hpp"

#include <gtest/gtest.h>

namespace relman::agent {
namespace {

using nlohmann::json;
using protocol::InventoryDelta;
using protocol::InventoryReport;

InventoryReport report(int packages) {
  InventoryReport r{"web-01", "debian", "12", "", "6.1", "x86_64", "", 4, 2048, json::object(), ""};
  json list = json::array();
  for (int i = 0; i < packages; ++i) {
    list.push_back({{"name", "pkg" + std::to_string(i)}, {"architecture", "amd64"}});
  }
  r.facts["software"]["dpkg"]["packages"] = list;
  r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
  return r;
}

TEST(InventoryReporter, SendsTheFullReportUntilOneIsAcknowledged) {
  InventoryReporter reporter;
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(report(20), false)));
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(report(21), false)));
}

TEST(InventoryReporter, SendsADeltaAgainstTheAcknowledgedReport) {
  InventoryReporter reporter;
  auto first = report(20);
  reporter.next(first, false);
  reporter.acknowledged(first.hash);
  EXPECT_EQ(reporter.base_hash(), first.hash);
  auto second = report(21);
  auto m = reporter.next(second, false);
  ASSERT_TRUE(std::holds_alternative<InventoryDelta>(m));
  const auto& d = std::get<InventoryDelta>(m);
  EXPECT_EQ(d.base_hash, first.hash);
  EXPECT_EQ(d.hash, second.hash);
  EXPECT_EQ(d.changes.entry_count(), 1u);
  // Unchanged since: an empty delta confirms the report.
  reporter.acknowledged(second.hash);
  auto same = reporter.next(report(21), false);
  ASSERT_TRUE(std::holds_alternative<InventoryDelta>(same));
  EXPECT_TRUE(std::get<InventoryDelta>(same).changes.empty());
}

TEST(InventoryReporter, IgnoresAnAckForAReportItNeverSent) {
  InventoryReporter reporter;
  reporter.next(report(20), false);
  reporter.acknowledged(std::string(64, 'a'));
  EXPECT_EQ(reporter.base_hash(), "");
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(report(20), false)));
}

TEST(InventoryReporter, SendsAFullReportWhenAskedOrAfterAReset) {
  InventoryReporter reporter;
  auto first = report(20);
  reporter.next(first, false);
  reporter.acknowledged(first.hash);
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(report(21), true)));
  reporter.reset();
  EXPECT_EQ(reporter.base_hash(), "");
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(report(22), false)));
}

TEST(InventoryReporter, SendsTheFullReportWhenTheDeltaWouldBeLarger) {
  InventoryReporter reporter;
  auto first = report(200);
  reporter.next(first, false);
  reporter.acknowledged(first.hash);
  auto replaced = report(0);  // every package removed: the delta names 200 items
  replaced.facts["software"]["dpkg"]["packages"] =
      json::array({{{"name", "new"}, {"architecture", "amd64"}}});
  replaced.hash = *protocol::inventory_hash(protocol::inventory_document(replaced));
  EXPECT_TRUE(std::holds_alternative<InventoryReport>(reporter.next(replaced, false)));
}

}  // namespace
}  // namespace relman::agent
