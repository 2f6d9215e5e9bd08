// The event bus, its type filter, and a stream reader that resumes from the audit log of a
// real SQLite store without losing or repeating an event.
#include "controller/events/event_stream.hpp"

#include <gtest/gtest.h>

#include "controller/events/audit_feed.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

Event event(std::int64_t id, const std::string& type) {
  return Event{id, 0, type, "alice", "release", std::to_string(id), "{}"};
}

std::vector<std::int64_t> ids_in(const std::string& frames) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while ((pos = frames.find("id: ", pos)) != std::string::npos) {
    pos += 4;
    out.push_back(std::stoll(frames.substr(pos, frames.find('\n', pos) - pos)));
  }
  return out;
}

TEST(EventFilterTest, MatchesExactTypesAndPrefixes) {
  auto f = EventFilter::parse("release.*,target.failed");
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_TRUE(f->matches("release.create"));
  EXPECT_TRUE(f->matches("target.failed"));
  EXPECT_FALSE(f->matches("target.succeeded"));
  EXPECT_FALSE(f->matches("releases.x"));
  auto all = EventFilter::parse("");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->matches("anything"));
}

TEST(EventFilterTest, RefusesPatternsThatAreNotEventTypes) {
  for (const auto* bad : {"Release", "a,,b", "x*", "rel ease", ",", "a;drop", "*"}) {
    auto f = EventFilter::parse(bad);
    ASSERT_FALSE(f) << bad;
    EXPECT_EQ(f.error().code, "request.invalid_filter") << bad;
  }
}

TEST(EventBusTest, DeliversInOrderOnceAndDropsAReaderThatFallsBehind) {
  EventBus bus(3);
  auto sub = bus.subscribe();
  bus.publish(event(1, "a"));
  bus.publish(event(1, "a"));  // a repeat is ignored
  bus.publish(event(2, "b"));
  auto got = sub->take();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].id, 2);
  for (int i = 3; i <= 6; ++i) bus.publish(event(i, "c"));
  EXPECT_FALSE(sub->take()) << "a reader more than 3 events behind is dropped";
  auto late = bus.subscribe();
  bus.publish(event(7, "d"));
  auto got_late = late->take();
  ASSERT_TRUE(got_late);
  ASSERT_EQ(got_late->size(), 1u) << "a subscriber sees only what is published after it came";
}

TEST(EventStreamRequestTest, ReadsLastEventIdAfterAndTypes) {
  auto r = parse_event_stream_request({{"last-event-id", "42"}}, {{"types", "release.*"}});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->after_id, 42);
  EXPECT_FALSE(r->filter.matches("target.failed"));
  auto q = parse_event_stream_request({{"last-event-id", "42"}}, {{"after", "7"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->after_id, 7) << "?after wins over the header";
  auto none = parse_event_stream_request({}, {});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->after_id, -1);
  for (const auto& [h, qv] : {std::pair{"x", ""}, std::pair{"-1", ""}, std::pair{"1e3", ""}}) {
    auto bad = parse_event_stream_request({{"last-event-id", h}}, {});
    ASSERT_FALSE(bad) << h;
    EXPECT_EQ(bad.error().code, "request.invalid_query");
    EXPECT_EQ(bad.error().context, "Last-Event-ID");
  }
  auto bad_types = parse_event_stream_request({}, {{"types", "BAD"}});
  ASSERT_FALSE(bad_types);
  EXPECT_EQ(bad_types.error().context, "types");
}

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqlStore::open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
  }
  std::int64_t release(const std::string& title) {
    auto r = store->create_release(title, "", "alice");
    EXPECT_TRUE(r);
    return r ? r->id : 0;
  }

  test::TempDir tmp;
  std::unique_ptr<SqlStore> store;
  EventBus bus;
};

TEST_F(EventStreamTest, ResumesFromTheAuditLogThenFollowsTheBusWithoutRepeats) {
  for (int i = 0; i < 3; ++i) release("old");
  AuditFeed feed(*store, bus, std::chrono::hours(1));  // polled by hand below
  auto all = store->list_audit_after(0, 500);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);

  EventStream stream(*store, bus, EventStreamRequest{(*all)[0].id, {}, {}});
  release("new");
  ASSERT_TRUE(feed.poll_once());  // the bus now also carries the entries the backlog reads
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 5; ++i) {
    auto frames = stream.next();
    ASSERT_TRUE(frames) << frames.error().describe();
    for (auto id : ids_in(*frames)) seen.push_back(id);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (*all)[1].id);
  EXPECT_EQ(seen[1], (*all)[2].id);
  EXPECT_GT(seen[2], (*all)[2].id);
}

TEST_F(EventStreamTest, ANewReaderGetsOnlyNewEvents) {
  release("history");
  AuditFeed feed(*store, bus, std::chrono::hours(1));
  ASSERT_TRUE(feed.start());
  EventStream stream(*store, bus, EventStreamRequest{});
  auto nothing = stream.next();
  ASSERT_TRUE(nothing);
  EXPECT_EQ(*nothing, "");
  auto id = release("news");
  ASSERT_TRUE(feed.poll_once());
  auto frames = stream.next();
  ASSERT_TRUE(frames);
  EXPECT_NE(frames->find("\"object_id\":\"" + std::to_string(id) + "\""), std::string::npos)
      << *frames;
  EXPECT_EQ(ids_in(*frames).size(), 1u);
}

TEST_F(EventStreamTest, AReaderThatFallsBehindIsToldToReconnect) {
  EventBus small(2);
  AuditFeed feed(*store, small, std::chrono::hours(1));
  ASSERT_TRUE(feed.start());
  EventStream stream(*store, small, EventStreamRequest{});
  for (int i = 0; i < 4; ++i) release("burst");
  ASSERT_TRUE(feed.poll_once());
  auto r = stream.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "events.overflow");
}

}  // namespace
}  // namespace relman::controller

namespace relman::controller {
namespace {

Event with_detail(const std::string& detail) {
  Event e;
  e.id = 1;
  e.type = "release.authorize";
  e.detail_json = detail;
  return e;
}

TEST(RecipientFilterTest, LetsThroughOnlyEventsAddressedToAUserOrGroup) {
  const auto addressed =
      with_detail(R"({"notification":{"recipients":{"users":["rita"],"groups":["ops","cab"]}}})");
  EXPECT_TRUE(RecipientFilter().matches(addressed));
  EXPECT_TRUE(RecipientFilter().matches(with_detail("{}"))) << "empty: the audit view";
  EXPECT_TRUE(RecipientFilter({"rita"}, {}).matches(addressed));
  EXPECT_TRUE(RecipientFilter({"nina"}, {"cab"}).matches(addressed));
  EXPECT_FALSE(RecipientFilter({"nina"}, {"idle"}).matches(addressed));
  EXPECT_FALSE(RecipientFilter({}, {"rita"}).matches(addressed)) << "a user is not a group";
  EXPECT_FALSE(RecipientFilter({"rita"}, {}).matches(with_detail(R"({"title":"rita"})")));
  EXPECT_FALSE(RecipientFilter({"rita"}, {}).matches(with_detail("not json \"notification\"")));
  EXPECT_FALSE(RecipientFilter({"rita"}, {})
                   .matches(with_detail(R"({"notification":{"recipients":{"users":"rita"}}})")));
  User u;
  u.username = "eve";
  u.groups = {"ops"};
  EXPECT_TRUE(recipients_of(u).matches(addressed));
}

}  // namespace
}  // namespace relman::controller
