// Group commit of agents' deltas on a real SQLite store: deltas that queue up while the writer
// is busy are stored together in one transaction, each gets the answer it would get alone (a
// refused one a request for a full report, without undoing the others), and a writer that
// stopped answers every delta still queued and refuses new ones.
#include "controller/inventory/inventory_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>

#include "controller/inventory/inventory_intake.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;
using protocol::InventoryAck;
using protocol::InventoryDelta;
using protocol::InventoryReport;
using protocol::InventoryRequest;

InventoryReport report(const std::string& host, const std::vector<std::string>& packages) {
  InventoryReport r{host,   "debian", "12", "Debian 12",    "6.1", "x86_64",
                    "Xeon", 4,        2048, json::object(), ""};
  json list = json::array();
  for (const auto& p : packages) {
    list.push_back({{"name", p}, {"version", "1.0"}, {"architecture", "amd64"}});
  }
  r.facts["software"]["dpkg"]["packages"] = list;
  r.hash = *protocol::inventory_hash(protocol::inventory_document(r));
  return r;
}

InventoryDelta delta(const InventoryReport& from, const InventoryReport& to) {
  return {from.hash, to.hash,
          protocol::diff_inventory(protocol::inventory_document(from),
                                   protocol::inventory_document(to))};
}

// Holds the writer in its clock (called once per batch, before it is stored) until released.
class Gate {
 public:
  std::int64_t pass() {
    std::unique_lock lock(mu_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return 300;
  }
  void wait_for_writer() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return arrived_ > 0; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int arrived_ = 0;
  bool open_ = false;
};

class InventoryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqlStore::open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    for (int h = 0; h < kHosts; ++h) {
      auto id = host(h);
      ASSERT_TRUE(store->host_connected(id, 100));
      auto answer = accept_inventory_report(*store, id, before(h), 200);
      ASSERT_TRUE(answer) << answer.error().describe();
    }
  }

  static std::string host(int h) { return "web-" + std::to_string(h); }
  static InventoryReport before(int h) { return report(host(h), {"bash", "curl"}); }
  static InventoryReport after(int h) { return report(host(h), {"bash", "htop"}); }

  // Queues `d` for host h; the future gets the answer.
  std::future<Result<protocol::Message>> submit(InventoryWriter& w, int h, InventoryDelta d) {
    auto answer = std::make_shared<std::promise<Result<protocol::Message>>>();
    auto f = answer->get_future();
    w.submit(host(h), std::move(d),
             [answer](Result<protocol::Message> m) { answer->set_value(std::move(m)); });
    return f;
  }

  static constexpr int kHosts = 6;
  test::TempDir tmp{"relman-writer"};
  std::unique_ptr<SqlStore> store;
};

TEST_F(InventoryWriterTest, DeltasThatQueueUpShareOneTransactionAndEachGetsItsAnswer) {
  Gate gate;
  InventoryWriter writer(*store, 64, [&] { return gate.pass(); });
  // The first delta takes the writer; the others queue behind it.
  std::vector<std::future<Result<protocol::Message>>> answers;
  answers.push_back(submit(writer, 0, delta(before(0), after(0))));
  gate.wait_for_writer();
  for (int h = 1; h < kHosts; ++h) {
    auto d = delta(before(h), after(h));
    if (h == 3) d.base_hash = after(h).hash;  // not what the controller has: refused
    answers.push_back(submit(writer, h, std::move(d)));
  }
  gate.open();
  for (int h = 0; h < kHosts; ++h) {
    auto answer = answers[static_cast<std::size_t>(h)].get();
    ASSERT_TRUE(answer) << answer.error().describe();
    auto stored = (*store->get_host(host(h)))->inventory_hash;
    if (h == 3) {
      auto* req = std::get_if<InventoryRequest>(&*answer);
      ASSERT_TRUE(req) << protocol::encode_message(*answer);
      EXPECT_TRUE(req->full);
      EXPECT_EQ(req->reason, "inventory.base_mismatch");
      EXPECT_EQ(stored, before(h).hash);
    } else {
      auto* ack = std::get_if<InventoryAck>(&*answer);
      ASSERT_TRUE(ack) << protocol::encode_message(*answer);
      EXPECT_EQ(ack->hash, after(h).hash);
      EXPECT_EQ(stored, after(h).hash);
    }
  }
  auto stats = writer.stats();
  EXPECT_EQ(stats.deltas, static_cast<std::uint64_t>(kHosts));
  EXPECT_EQ(stats.batches, 2u);  // the first alone, the five that queued behind it together
  EXPECT_EQ(stats.largest, static_cast<std::size_t>(kHosts - 1));
  auto running = store->hosts_running("htop", std::nullopt, Page{500, 0});
  ASSERT_TRUE(running) << running.error().describe();
  EXPECT_EQ(running->size(), static_cast<std::size_t>(kHosts - 1));
}

TEST_F(InventoryWriterTest, ABatchIsNoLargerThanItsLimitAndOneAgentsDeltasKeepTheirOrder) {
  Gate gate;
  InventoryWriter writer(*store, 2, [&] { return gate.pass(); });
  std::vector<std::future<Result<protocol::Message>>> answers;
  answers.push_back(submit(writer, 1, delta(before(1), after(1))));
  gate.wait_for_writer();
  // Host 0 twice, the second building on the first: they may share a batch or not, in order.
  auto third = report(host(0), {"htop"});
  answers.push_back(submit(writer, 0, delta(before(0), after(0))));
  answers.push_back(submit(writer, 0, delta(after(0), third)));
  answers.push_back(submit(writer, 2, delta(before(2), after(2))));
  gate.open();
  for (auto& f : answers) {
    auto answer = f.get();
    ASSERT_TRUE(answer) << answer.error().describe();
    EXPECT_TRUE(std::holds_alternative<InventoryAck>(*answer)) << protocol::encode_message(*answer);
  }
  EXPECT_EQ((*store->get_host(host(0)))->inventory_hash, third.hash);
  auto stats = writer.stats();
  EXPECT_EQ(stats.batches, 3u);  // one, then two and one
  EXPECT_EQ(stats.largest, 2u);
}

TEST_F(InventoryWriterTest, AHostThatNeverSaidHelloGetsAnErrorAndTheOthersAreStored) {
  Gate gate;
  InventoryWriter writer(*store, 64, [&] { return gate.pass(); });
  auto first = submit(writer, 0, delta(before(0), after(0)));
  gate.wait_for_writer();
  auto ghost = std::make_shared<std::promise<Result<protocol::Message>>>();
  auto ghost_answer = ghost->get_future();
  writer.submit("ghost", delta(before(1), after(1)),
                [ghost](Result<protocol::Message> m) { ghost->set_value(std::move(m)); });
  auto second = submit(writer, 1, delta(before(1), after(1)));
  gate.open();
  ASSERT_TRUE(first.get());
  auto g = ghost_answer.get();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, "host.not_found");
  auto s = second.get();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_TRUE(std::holds_alternative<InventoryAck>(*s));
  EXPECT_EQ((*store->get_host(host(1)))->inventory_hash, after(1).hash);
}

// Something that throws while a batch is stored (here the clock) answers that batch with an
// error; the writer goes on with the next.
TEST_F(InventoryWriterTest, ABatchThatThrowsIsAnsweredAndTheWriterGoesOn) {
  int calls = 0;
  InventoryWriter writer(*store, 64, [&]() -> std::int64_t {
    if (++calls == 1) throw std::runtime_error("clock broke");
    return 300;
  });
  auto first = submit(writer, 0, delta(before(0), after(0))).get();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, "inventory.not_stored");
  EXPECT_EQ((*store->get_host(host(0)))->inventory_hash, before(0).hash);
  auto second = submit(writer, 0, delta(before(0), after(0))).get();
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_TRUE(std::holds_alternative<InventoryAck>(*second));
  EXPECT_EQ((*store->get_host(host(0)))->inventory_hash, after(0).hash);
}

TEST_F(InventoryWriterTest, StoppingAnswersWhatIsQueuedAndRefusesWhatComesAfter) {
  Gate gate;
  InventoryWriter writer(*store, 1, [&] { return gate.pass(); });
  auto first = submit(writer, 0, delta(before(0), after(0)));
  gate.wait_for_writer();
  auto queued = submit(writer, 1, delta(before(1), after(1)));
  auto stopped = std::async(std::launch::async, [&] { writer.stop(); });
  gate.open();
  stopped.get();
  auto a = first.get();
  auto b = queued.get();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(std::holds_alternative<InventoryAck>(*b));
  EXPECT_EQ((*store->get_host(host(1)))->inventory_hash, after(1).hash);
  auto late = submit(writer, 2, delta(before(2), after(2))).get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "controller.stopping");
  EXPECT_EQ((*store->get_host(host(2)))->inventory_hash, before(2).hash);
}

}  // namespace
}  // namespace relman::controller
