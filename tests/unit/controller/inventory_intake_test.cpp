// The controller's side of inventory reporting on a real SQLite store: full reports are stored
// when their hash is right, deltas are applied to the stored base and verified, and anything
// that cannot be applied turns into a request for a full report with its reason.
#include "controller/inventory/inventory_intake.hpp"

#include <gtest/gtest.h>

#include "controller/store/sql_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;
using protocol::InventoryAck;
using protocol::InventoryDelta;
using protocol::InventoryReport;
using protocol::InventoryRequest;

InventoryReport report(const std::vector<std::string>& packages) {
  InventoryReport r{"web-01", "debian", "12", "Debian 12",    "6.1", "x86_64",
                    "Xeon",   4,        2048, json::object(), ""};
  json list = json::array();
  for (const auto& p : packages) list.push_back({{"name", p}, {"architecture", "amd64"}});
  r.facts["software"]["dpkg"]["packages"] = list;
  r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
  return r;
}

InventoryDelta delta(const InventoryReport& from, const InventoryReport& to) {
  return {from.hash, to.hash,
          protocol::diff_inventory(protocol::inventory_document(from),
                                   protocol::inventory_document(to))};
}

class InventoryIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqlStore::open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    ASSERT_TRUE(store->host_connected("web-01", 100));
  }

  HostRecord host() { return **store->get_host("web-01"); }

  // Stores `r` as a full report and checks the ack.
  void store_full(const InventoryReport& r) {
    auto answer = accept_inventory_report(*store, "web-01", r, 200);
    ASSERT_TRUE(answer) << answer.error().describe();
    ASSERT_TRUE(std::holds_alternative<InventoryAck>(*answer));
    EXPECT_EQ(std::get<InventoryAck>(*answer).hash, r.hash);
  }

  // The reason of the full-report request `answer` must be.
  std::string requested_reason(const Result<protocol::Message>& answer) {
    EXPECT_TRUE(answer) << answer.error().describe();
    if (!answer) return "";
    const auto* req = std::get_if<InventoryRequest>(&*answer);
    EXPECT_TRUE(req) << protocol::encode_message(*answer);
    if (!req) return "";
    EXPECT_TRUE(req->full);
    return req->reason;
  }

  test::TempDir tmp{"relman-intake"};
  std::unique_ptr<SqlStore> store;
};

TEST_F(InventoryIntakeTest, StoresAFullReportAsItsDocumentAndHash) {
  auto r = report({"bash", "curl"});
  store_full(r);
  auto h = host();
  EXPECT_EQ(h.inventory_hash, r.hash);
  EXPECT_EQ(h.inventory_at, 200);
  EXPECT_EQ(h.hostname, "web-01");
  EXPECT_EQ(h.os, "Debian 12");
  EXPECT_EQ(json::parse(h.inventory_json), protocol::inventory_document(r));
}

TEST_F(InventoryIntakeTest, RefusesAFullReportWhoseHashIsNotItsContents) {
  auto r = report({"bash"});
  r.memory_mb = 4096;  // content changed after hashing
  auto answer = accept_inventory_report(*store, "web-01", r, 200);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, "inventory.hash_mismatch");
  EXPECT_EQ(host().inventory_hash, "");
}

// An agent from before collection digests names its report by the whole document's hash: its
// full report is still taken, and its deltas (hashed the old way) turn into full reports.
TEST_F(InventoryIntakeTest, TakesAFullReportFromAnAgentBeforeCollectionDigests) {
  auto base = report({"bash", "curl"});
  base.hash = *protocol::legacy_inventory_hash(protocol::inventory_document(base));
  ASSERT_NE(base.hash, *protocol::inventory_hash(protocol::inventory_document(base)));
  store_full(base);
  EXPECT_EQ(host().inventory_hash, base.hash);
  EXPECT_EQ(json::parse(host().inventory_json), protocol::inventory_document(base));
  auto next = report({"bash", "htop"});
  next.hash = *protocol::legacy_inventory_hash(protocol::inventory_document(next));
  EXPECT_EQ(requested_reason(accept_inventory_delta(*store, "web-01", delta(base, next), 300)),
            "inventory.hash_mismatch");
  EXPECT_EQ(host().inventory_hash, base.hash);
}

TEST_F(InventoryIntakeTest, RefusesAReportFromAHostThatNeverSaidHello) {
  auto answer = accept_inventory_report(*store, "ghost", report({"bash"}), 200);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, "host.not_found");
}

TEST_F(InventoryIntakeTest, AppliesADeltaToTheStoredReport) {
  auto base = report({"bash", "curl"});
  auto next = report({"bash", "htop"});
  store_full(base);
  auto answer = accept_inventory_delta(*store, "web-01", delta(base, next), 300);
  ASSERT_TRUE(answer) << answer.error().describe();
  ASSERT_TRUE(std::holds_alternative<InventoryAck>(*answer));
  EXPECT_EQ(std::get<InventoryAck>(*answer).hash, next.hash);
  auto h = host();
  EXPECT_EQ(h.inventory_hash, next.hash);
  EXPECT_EQ(h.inventory_at, 300);
  EXPECT_EQ(json::parse(h.inventory_json), protocol::inventory_document(next));
}

TEST_F(InventoryIntakeTest, AsksForAFullReportWhenTheBaseIsNotTheStoredReport) {
  auto a = report({"bash"});
  auto b = report({"bash", "curl"});
  auto c = report({"curl"});
  // Nothing stored yet.
  EXPECT_EQ(requested_reason(accept_inventory_delta(*store, "web-01", delta(a, b), 300)),
            "inventory.base_mismatch");
  store_full(a);
  EXPECT_EQ(requested_reason(accept_inventory_delta(*store, "web-01", delta(b, c), 300)),
            "inventory.base_mismatch");
  EXPECT_EQ(host().inventory_hash, a.hash);  // unchanged
}

TEST_F(InventoryIntakeTest, AsksForAFullReportWhenTheChangesDoNotApply) {
  auto a = report({"bash"});
  store_full(a);
  auto d = delta(a, report({"bash", "curl"}));
  d.changes.items.at(0).removed.push_back({{"name", "zsh"}, {"architecture", "amd64"}});
  EXPECT_EQ(requested_reason(accept_inventory_delta(*store, "web-01", d, 300)),
            "inventory.delta_invalid");
  EXPECT_EQ(host().inventory_hash, a.hash);
}

TEST_F(InventoryIntakeTest, AsksForAFullReportWhenTheResultIsNotWhatTheDeltaNames) {
  auto a = report({"bash"});
  store_full(a);
  auto d = delta(a, report({"bash", "curl"}));
  d.hash = report({"bash", "wget"}).hash;
  EXPECT_EQ(requested_reason(accept_inventory_delta(*store, "web-01", d, 300)),
            "inventory.hash_mismatch");
  EXPECT_EQ(host().inventory_hash, a.hash);
}

TEST_F(InventoryIntakeTest, StoreRefusesADeltaWhoseBaseChangedMeanwhile) {
  auto a = report({"bash"});
  store_full(a);
  InventoryUpdate update{"web-01",     "", "{}", std::string(64, 'b'), std::string(64, 'f'),
                         std::nullopt, {}};
  auto r = store->record_inventory("web-01", update, 300);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "inventory.base_mismatch");
  update.base_hash = a.hash;
  EXPECT_TRUE(store->record_inventory("web-01", update, 300));
}

TEST_F(InventoryIntakeTest, StaleHostsAreDisconnectedAndLastSeenBeforeTheCutOff) {
  ASSERT_TRUE(store->host_connected("old", 10));
  ASSERT_TRUE(store->host_disconnected("old", 10));
  ASSERT_TRUE(store->host_connected("recent", 10));
  ASSERT_TRUE(store->host_disconnected("recent", 150));
  ASSERT_TRUE(store->host_connected("online", 10));  // connected: never stale
  auto ids = [&](std::optional<bool> stale) {
    std::vector<std::string> out;
    auto hosts = store->list_hosts(Page{}, HostQuery{100, stale});
    EXPECT_TRUE(hosts) << hosts.error().describe();
    for (const auto& h : hosts.value_or(std::vector<HostRecord>{})) out.push_back(h.agent_id);
    return out;
  };
  EXPECT_EQ(ids(true), (std::vector<std::string>{"old"}));
  EXPECT_EQ(ids(false), (std::vector<std::string>{"online", "recent", "web-01"}));
  EXPECT_EQ(ids(std::nullopt).size(), 4u);
}

}  // namespace
}  // namespace relman::controller
