// The event stream as the console and scripts use it: curl holds GET /api/v1/events open
// (server-sent events over the real TLS port) while a release manager acts; every audited
// action arrives once, in order; a reader that reconnects with Last-Event-ID gets what it
// missed, also across a controller restart; JSON pages serve clients that poll.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/cluster.hpp"
#include "tests/support/sse.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class EventsTest : public ::testing::Test {
 protected:
  EventsTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}
  void SetUp() override { controller.start(); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  // curl as the SSE client, its body in `out`; extra headers as "Name: value".
  void start_reader(Process& reader, const std::filesystem::path& out,
                    const std::string& query = "", const std::vector<std::string>& headers = {}) {
    std::vector<std::string> argv = {curl(),
                                     "--silent",
                                     "--no-buffer",
                                     "--max-time",
                                     "60",
                                     "--cacert",
                                     pki.ca_cert().string(),
                                     "-H",
                                     "Accept: text/event-stream",
                                     "-H",
                                     "Authorization: Bearer " + controller.token(),
                                     "-o",
                                     out.string()};
    for (const auto& h : headers) {
      argv.push_back("-H");
      argv.push_back(h);
    }
    argv.push_back(controller.url() + "/api/v1/events" + query);
    reader.start(argv, out.string() + ".log");
    // The stream is open once the retry hint arrived.
    ASSERT_TRUE(wait_until([&] { return read_text(out).find("retry:") != std::string::npos; },
                           std::chrono::seconds(15)))
        << "the event stream did not open; curl said: " << reader.log();
  }

  std::int64_t create_release(const std::string& title) {
    auto r = controller.api("POST", "/api/v1/releases", json{{"title", title}});
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", std::int64_t{0});
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
};

TEST_F(EventsTest, AuditedActionsArriveOnceAndInOrder) {
  Process reader;
  auto out = tmp / "events.txt";
  start_reader(reader, out);
  auto a = create_release("first");
  auto b = create_release("second");
  ASSERT_TRUE(wait_until([&] { return parse_sse(read_text(out)).size() >= 2; })) << read_text(out);
  auto events = parse_sse(read_text(out));
  ASSERT_EQ(events.size(), 2u) << read_text(out);
  EXPECT_EQ(events[0].type, "release.create");
  EXPECT_EQ(events[0].data.value("object_id", ""), std::to_string(a));
  EXPECT_EQ(events[0].data.value("actor", ""), "admin");
  EXPECT_EQ(events[1].data.value("object_id", ""), std::to_string(b));
  EXPECT_LT(events[0].id, events[1].id);
}

TEST_F(EventsTest, TypeFilterKeepsOnlyMatchingEvents) {
  Process reader;
  auto out = tmp / "events.txt";
  start_reader(reader, out, "?types=package.*");
  create_release("not a package event");  // audited first, and filtered out
  auto pkg = make_package(tmp / "pkgs", "app", "1.0.0", {{"bin/app", "v1"}}, &pki.publisher());
  auto up = controller.upload_raw(pkg);
  ASSERT_EQ(up.status, 201) << up.text;
  ASSERT_TRUE(wait_until([&] { return !parse_sse(read_text(out)).empty(); })) << read_text(out);
  auto events = parse_sse(read_text(out));
  ASSERT_EQ(events.size(), 1u) << read_text(out);
  EXPECT_EQ(events[0].type, "package.upload");
}

TEST_F(EventsTest, ReconnectingWithLastEventIdGetsWhatWasMissedEvenAfterARestart) {
  auto first = create_release("before");
  auto page = controller.api("GET", "/api/v1/events?after=0");
  ASSERT_EQ(page.status, 200) << page.text;
  const std::int64_t seen = page.body["last_id"].get<std::int64_t>();
  ASSERT_GT(seen, 0);

  // Missed while no reader was connected, and across a restart.
  auto missed1 = create_release("missed one");
  controller.stop();
  controller.start();
  auto missed2 = create_release("missed two");

  Process reader;
  auto out = tmp / "events.txt";
  start_reader(reader, out, "", {"Last-Event-ID: " + std::to_string(seen)});
  auto live = create_release("live");
  ASSERT_TRUE(wait_until([&] { return parse_sse(read_text(out)).size() >= 3; })) << read_text(out);
  auto events = parse_sse(read_text(out));
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.data.value("object_id", ""));
  EXPECT_EQ(ids, (std::vector<std::string>{std::to_string(missed1), std::to_string(missed2),
                                           std::to_string(live)}))
      << read_text(out);
  (void)first;
}

TEST_F(EventsTest, JsonPagesFollowTheAfterCursor) {
  create_release("one");
  create_release("two");
  auto p1 = controller.api("GET", "/api/v1/events?after=0&limit=1&types=release.*");
  ASSERT_EQ(p1.status, 200) << p1.text;
  auto last = p1.body["last_id"].get<std::int64_t>();
  auto p2 =
      controller.api("GET", "/api/v1/events?after=" + std::to_string(last) + "&types=release.*");
  ASSERT_EQ(p2.status, 200) << p2.text;
  std::vector<std::string> titles;
  for (const auto& p : {p1, p2}) {
    for (const auto& e : p.body["items"]) titles.push_back(e["detail"].value("title", ""));
  }
  EXPECT_EQ(titles, (std::vector<std::string>{"one", "two"}));
}

TEST_F(EventsTest, AuditLogIsQueryablePerObjectAndAction) {
  auto a = create_release("a");
  create_release("b");
  auto one =
      controller.api("GET", "/api/v1/audit?object_type=release&object_id=" + std::to_string(a));
  ASSERT_EQ(one.status, 200) << one.text;
  ASSERT_EQ(one.body["items"].size(), 1u) << one.text;
  EXPECT_EQ(one.body["items"][0]["detail"].value("title", ""), "a");
  auto releases = controller.api("GET", "/api/v1/audit?action=release.&actor=admin");
  ASSERT_EQ(releases.status, 200);
  EXPECT_EQ(releases.body["items"].size(), 2u) << releases.text;
  auto nobody = controller.api("GET", "/api/v1/audit?actor=nobody");
  EXPECT_TRUE(nobody.body["items"].empty()) << nobody.text;
  auto too_long = controller.api("GET", "/api/v1/audit?actor=" + std::string(201, 'x'));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.body["error"].value("context", ""), "actor") << too_long.text;
}

TEST_F(EventsTest, RefusalsSayWhy) {
  // No token: 401 before any stream starts.
  auto no_token =
      run_command({curl(), "--silent", "--max-time", "10", "--cacert", pki.ca_cert().string(), "-H",
                   "Accept: text/event-stream", controller.url() + "/api/v1/events"});
  EXPECT_NE(no_token.output.find("auth.required"), std::string::npos) << no_token.output;
  // A bad Last-Event-ID and a bad filter: 400 naming the parameter.
  for (const auto& [header, query] :
       {std::pair{std::string("Last-Event-ID: abc"), std::string()},
        std::pair{std::string("X-None: 1"), std::string("?types=Release;DROP")}}) {
    auto r = run_command({curl(), "--silent", "--max-time", "10", "--cacert",
                          pki.ca_cert().string(), "-H", "Accept: text/event-stream", "-H",
                          "Authorization: Bearer " + controller.token(), "-H", header,
                          controller.url() + "/api/v1/events" + query});
    EXPECT_NE(r.output.find("request.invalid_query"), std::string::npos) << r.output;
  }
  auto bad_after = controller.api("GET", "/api/v1/events?after=-1");
  EXPECT_EQ(bad_after.status, 400) << bad_after.text;
}

}  // namespace
}  // namespace relman::test
