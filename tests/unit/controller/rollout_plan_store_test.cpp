// The planner on hosts a real SQLite store knows, with their inventory reports.
#include "controller/rollout/plan_store.hpp"

#include <gtest/gtest.h>

#include "controller/store/sql_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller::rollout {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1768392000;  // 2026-01-14T12:00:00Z

class PlanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqlStore::open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    add_host("app-1", "debian", 4096);
    add_host("db-1", "debian", 16384);
    add_host("old-1", "ubuntu", 1024);
    add_host("web-1", "debian", 2048);
    add_host("web-2", "debian", 1024);
    ASSERT_TRUE(store->host_connected("silent-1", kNow));  // never reported
  }

  void add_host(const std::string& id, const std::string& os, std::int64_t memory_mb) {
    ASSERT_TRUE(store->host_connected(id, kNow));
    json report = {{"type", "inventory"},
                   {"hostname", id + ".example.org"},
                   {"os_id", os},
                   {"memory_mb", memory_mb},
                   {"facts", {{"os", {{"id", os}}}}}};
    ASSERT_TRUE(store->record_inventory(
        id, InventoryUpdate{id + ".example.org", os, report.dump(), "", "", std::nullopt, {}},
        kNow));
  }

  Result<Plan> plan(const json& body) {
    auto req = plan_request_from_json(body);
    EXPECT_TRUE(req) << req.error().describe();
    if (!req) return fail(req.error());
    return plan_known_hosts(*store, *req, kNow);
  }

  static std::vector<std::string> wave_ids(const Plan& p, std::size_t i) {
    std::vector<std::string> out;
    for (const auto& h : p.waves.at(i).hosts) out.push_back(h.id);
    return out;
  }

  test::TempDir tmp{"relman-plan"};
  std::unique_ptr<SqlStore> store;
};

TEST_F(PlanStoreTest, SelectsHostsByTheirInventoryFacts) {
  auto p = plan(json::parse(R"({
    "target": {"query": "os.id == \"debian\" and memory_mb >= 2048"},
    "policy": {"batches": {"percent": 100}}})"));
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_EQ(p->waves.size(), 1u);
  EXPECT_EQ(wave_ids(*p, 0), (std::vector<std::string>{"app-1", "db-1", "web-1"}));
}

TEST_F(PlanStoreTest, AddsExplicitHostsAndOrdersByDependencies) {
  auto p = plan(json::parse(R"({
    "target": {"query": "memory_mb >= 4096", "hosts": ["web-2", "silent-1"]},
    "policy": {"canary": {"hosts": ["db-1"]}, "batches": {"count": 10}},
    "dependencies": [{"host": "app-1", "depends_on": "db-1"},
                     {"host": "web-2", "depends_on": "app-1"}]})"));
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_EQ(p->waves.size(), 3u);
  EXPECT_EQ(wave_ids(*p, 0), (std::vector<std::string>{"db-1"}));
  EXPECT_EQ(wave_ids(*p, 1), (std::vector<std::string>{"silent-1", "app-1"}));
  EXPECT_EQ(wave_ids(*p, 2), (std::vector<std::string>{"web-2"}));
}

TEST_F(PlanStoreTest, GroupsFromTheRequestChooseWindows) {
  auto p = plan(json::parse(R"({
    "target": {"hosts": ["web-1", "web-2"]},
    "policy": {"batches": {"percent": 100}},
    "windows": {"maintenance": [{"days": ["mon","tue","wed","thu","fri","sat","sun"],
                                 "start": "22:00", "end": "23:00", "time_zone": "UTC",
                                 "groups": ["night"]}]},
    "groups": [{"name": "night", "hosts": ["web-2"]}]})"));
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->waves[0].hosts[0].earliest_start, kNow);
  EXPECT_EQ(p->waves[0].hosts[1].earliest_start, kNow + 10 * 3600);
}

TEST_F(PlanStoreTest, RefusesUnknownHostsAndEmptyTargets) {
  auto p = plan(json::parse(R"({
    "target": {"hosts": ["web-1", "nope"]}, "policy": {"batches": {"percent": 100}}})"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "plan.unknown_host");
  EXPECT_EQ(p.error().context, "target.hosts[1]");

  p = plan(json::parse(R"({
    "target": {"query": "os.id == \"windows\""}, "policy": {"batches": {"percent": 100}}})"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "plan.empty_target");
}

TEST_F(PlanStoreTest, ReadsMoreHostsThanOnePage) {
  for (int i = 0; i < 600; ++i) add_host("bulk-" + std::to_string(i), "debian", 512);
  auto p = plan(json::parse(R"({
    "target": {"query": "id like \"bulk-*\""}, "policy": {"batches": {"count": 500}}})"));
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->host_count, 600);
  EXPECT_EQ(p->waves.size(), 2u);
}

}  // namespace
}  // namespace relman::controller::rollout
