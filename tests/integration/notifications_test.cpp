// Release types and per-recipient notifications through a real controller: an admin defines a
// type with templates, executor group and notified groups; a release of that type tells its
// requester, its executor group, the type's groups and the groups that subscribed — each with
// the message rendered from the type's templates — on creation, on each transition and on
// closure; someone it is not for sees none of it, on the JSON pages and on the SSE stream of
// GET /notifications. Every refusal (unknown type, bad placeholder, unknown group, missing
// admin, not a member) is a 4xx that names why.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"
#include "tests/support/sse.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

const std::string kPassword = "correct-horse-battery-1";

class NotificationsTest : public ::testing::Test {
 protected:
  NotificationsTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    controller.start();
    struct Who {
      const char* name;
      const char* role;
    };
    // rita asks, eve executes (ops), wes watches (watchers, named by the type), carl sits on
    // the CAB (which subscribes to one release), nina is not involved, max manages releases.
    for (const auto& w : std::vector<Who>{{"rita", "requester"},
                                          {"eve", "executor"},
                                          {"wes", "requester"},
                                          {"carl", "requester"},
                                          {"nina", "requester"},
                                          {"max", "release_manager"}}) {
      auto r =
          controller.api("POST", "/api/v1/users",
                         json{{"username", w.name}, {"password", kPassword}, {"roles", {w.role}}});
      ASSERT_EQ(r.status, 201) << r.text;
    }
    for (const auto& [group, member] : std::vector<std::pair<std::string, std::string>>{
             {"ops", "eve"}, {"watchers", "wes"}, {"cab", "carl"}, {"idle", "nina"}}) {
      auto g =
          controller.api("POST", "/api/v1/groups", json{{"name", group}, {"members", {member}}});
      ASSERT_EQ(g.status, 201) << g.text;
    }
    for (const char* name : {"rita", "eve", "wes", "carl", "nina", "max"}) {
      tokens[name] = controller.login(name, kPassword);
    }
    tokens["admin"] = controller.token();
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  ApiResult as(const std::string& who, const std::string& method, const std::string& target,
               const json& body = nullptr) {
    return controller.call(tokens.at(who), method, target, body.is_null() ? "" : body.dump());
  }

  static json standard_type() {
    return json{
        {"name", "standard"},
        {"description", "a planned release"},
        {"executor_group", "ops"},
        {"notify_groups", {"watchers"}},
        {"templates",
         {{"created",
           {{"subject", "[{{type}}] {{number}} opened"},
            {"body", "{{requester}} asks for {{title}}"}}},
          {"transition",
           {{"subject", "[{{type}}] {{number}} {{action}}"},
            {"body", "{{actor}}: {{previous_state}} -> {{state}}"}}},
          {"closed",
           {{"subject", "[{{type}}] {{number}} closed"}, {"body", "closed by {{actor}}"}}}}}};
  }

  ApiResult act(const std::string& who, std::int64_t id, const std::string& action,
                json fields = json::object()) {
    auto r = as("admin", "GET", "/api/v1/releases/" + std::to_string(id));
    fields["action"] = action;
    fields["expected_version"] = r.body["version"];
    return as(who, "POST", "/api/v1/releases/" + std::to_string(id) + "/transitions", fields);
  }

  // The notifications `who` sees after event id `after`: (type, subject, body).
  std::vector<std::tuple<std::string, std::string, std::string>> inbox(const std::string& who) {
    auto r = as(who, "GET", "/api/v1/notifications?after=0&limit=500");
    EXPECT_EQ(r.status, 200) << r.text;
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& e : r.body["items"]) {
      out.emplace_back(e["type"], e["detail"]["notification"]["subject"],
                       e["detail"]["notification"]["body"]);
    }
    return out;
  }

  void start_reader(Process& reader, const std::string& who, const std::filesystem::path& out) {
    reader.start(
        {curl(), "--silent", "--no-buffer", "--max-time", "60", "--cacert", pki.ca_cert().string(),
         "-H", "Accept: text/event-stream", "-H", "Authorization: Bearer " + tokens.at(who), "-o",
         out.string(), controller.url() + "/api/v1/notifications"},
        out.string() + ".log");
    ASSERT_TRUE(wait_until([&] { return read_text(out).find("retry:") != std::string::npos; },
                           std::chrono::seconds(15)))
        << "the notification stream did not open; curl said: " << reader.log();
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::map<std::string, std::string> tokens;
};

TEST_F(NotificationsTest, RecipientsGetTheTypesMessagesAndOthersNothing) {
  auto type = as("admin", "POST", "/api/v1/release-types", standard_type());
  ASSERT_EQ(type.status, 201) << type.text;
  Process wes_stream, nina_stream;
  start_reader(wes_stream, "wes", tmp / "wes.sse");
  start_reader(nina_stream, "nina", tmp / "nina.sse");

  // No executor group given: the type's.
  auto created =
      as("rita", "POST", "/api/v1/releases", json{{"title", "Payroll 2.5"}, {"type", "standard"}});
  ASSERT_EQ(created.status, 201) << created.text;
  EXPECT_EQ(created.body["executor_group"], "ops");
  const std::int64_t id = created.body["id"];
  const std::string number = created.body["number"];
  const std::string subs = "/api/v1/releases/" + std::to_string(id) + "/subscriptions";
  // The CAB asks for this release's notifications through its member.
  auto sub = as("carl", "POST", subs, json{{"group", "cab"}});
  ASSERT_EQ(sub.status, 201) << sub.text;
  EXPECT_EQ(as("carl", "POST", subs, json{{"group", "cab"}}).status, 200) << "already subscribed";
  auto listed = as("nina", "GET", subs);
  ASSERT_EQ(listed.status, 200) << listed.text;
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_EQ(listed.body["items"][0]["group"], "cab");

  for (const auto& [who, action] :
       std::vector<std::pair<std::string, std::string>>{{"rita", "authorize"},
                                                        {"eve", "start_execution"},
                                                        {"eve", "submit_for_test"},
                                                        {"eve", "submit_for_homologation"},
                                                        {"eve", "solve"},
                                                        {"rita", "close"}}) {
    json fields = json::object();
    if (action == "solve") {
      fields = {{"release_date", 1700000000},
                {"solution_category", "deployed"},
                {"closure_text", "done"}};
    }
    auto r = act(who, id, action, fields);
    ASSERT_EQ(r.status, 200) << who << " " << action << ": " << r.text;
  }

  using Row = std::tuple<std::string, std::string, std::string>;
  const std::vector<Row> transitions = {
      {"release.authorize", "[standard] " + number + " authorize",
       "rita: registered -> authorized"},
      {"release.start_execution", "[standard] " + number + " start_execution",
       "eve: authorized -> in_execution"},
      {"release.submit_for_test", "[standard] " + number + " submit_for_test",
       "eve: in_execution -> in_test"},
      {"release.submit_for_homologation", "[standard] " + number + " submit_for_homologation",
       "eve: in_test -> homologation"},
      {"release.solve", "[standard] " + number + " solve", "eve: homologation -> solved"},
      {"release.close", "[standard] " + number + " closed", "closed by rita"}};
  std::vector<Row> everything = {
      {"release.create", "[standard] " + number + " opened", "rita asks for Payroll 2.5"}};
  everything.insert(everything.end(), transitions.begin(), transitions.end());

  EXPECT_EQ(inbox("rita"), everything) << "the requester";
  EXPECT_EQ(inbox("eve"), everything) << "the executor group";
  EXPECT_EQ(inbox("wes"), everything) << "the group the type notifies";
  EXPECT_EQ(inbox("carl"), transitions) << "the subscribed group, from its subscription on";
  EXPECT_TRUE(inbox("nina").empty()) << "not a recipient";
  // The audit view stays with read_audit.
  auto audit = as("nina", "GET", "/api/v1/events?after=0");
  EXPECT_EQ(audit.status, 403) << audit.text;

  // The stream: wes gets the seven notifications and nothing else; nina none.
  ASSERT_TRUE(wait_until([&] { return parse_sse(read_text(tmp / "wes.sse")).size() >= 7; },
                         std::chrono::seconds(20)))
      << read_text(tmp / "wes.sse");
  auto frames = parse_sse(read_text(tmp / "wes.sse"));
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0].type, "release.create");
  EXPECT_EQ(frames[6].data["detail"]["notification"]["subject"],
            "[standard] " + number + " closed");
  EXPECT_EQ(frames[6].data["detail"]["notification"]["recipients"]["groups"],
            json({"cab", "ops", "watchers"}));
  EXPECT_TRUE(parse_sse(read_text(tmp / "nina.sse")).empty()) << read_text(tmp / "nina.sse");

  // Unsubscribed, the CAB hears no more.
  auto gone = as("carl", "DELETE", subs + "/cab");
  ASSERT_EQ(gone.status, 200) << gone.text;
  auto reopen = act("max", id, "reopen", {{"reason", "again"}});
  ASSERT_EQ(reopen.status, 200) << reopen.text;
  EXPECT_EQ(inbox("carl").size(), transitions.size());
  EXPECT_EQ(inbox("rita").size(), everything.size() + 1);
}

TEST_F(NotificationsTest, RefusalsSayWhyAndStoreNothing) {
  // Writes need admin.
  auto not_admin = as("max", "POST", "/api/v1/release-types", standard_type());
  EXPECT_EQ(not_admin.status, 403) << not_admin.text;
  EXPECT_EQ(not_admin.body["error"]["context"], "admin");
  // A placeholder that does not exist, an unclosed one, an event that does not exist.
  json bad = standard_type();
  bad["templates"]["created"]["body"] = "hello {{password}}";
  auto placeholder = as("admin", "POST", "/api/v1/release-types", bad);
  EXPECT_EQ(placeholder.status, 400) << placeholder.text;
  EXPECT_EQ(placeholder.body["error"]["code"], "release_type.unknown_placeholder");
  EXPECT_EQ(placeholder.body["error"]["context"], "templates.created.body");
  bad = standard_type();
  bad["templates"]["deploy"] = {{"subject", "s"}, {"body", "b"}};
  auto event = as("admin", "POST", "/api/v1/release-types", bad);
  EXPECT_EQ(event.status, 400) << event.text;
  EXPECT_EQ(event.body["error"]["code"], "release_type.unknown_event");
  // Groups must exist.
  bad = standard_type();
  bad["executor_group"] = "nobody";
  auto group = as("admin", "POST", "/api/v1/release-types", bad);
  EXPECT_EQ(group.status, 400) << group.text;
  EXPECT_EQ(group.body["error"]["code"], "release_type.unknown_group");
  EXPECT_EQ(group.body["error"]["context"], "nobody");
  auto none = as("rita", "GET", "/api/v1/release-types");
  ASSERT_EQ(none.status, 200) << none.text;
  EXPECT_TRUE(none.body["items"].empty()) << "nothing was stored";

  ASSERT_EQ(as("admin", "POST", "/api/v1/release-types", standard_type()).status, 201);
  auto twice = as("admin", "POST", "/api/v1/release-types", standard_type());
  EXPECT_EQ(twice.status, 409) << twice.text;
  auto patch_forbidden =
      as("max", "PATCH", "/api/v1/release-types/standard", json{{"description", "x"}});
  EXPECT_EQ(patch_forbidden.status, 403) << patch_forbidden.text;
  auto patch_bad = as("admin", "PATCH", "/api/v1/release-types/standard",
                      json{{"templates", {{"closed", {{"subject", "{{nope}}"}, {"body", "b"}}}}}});
  EXPECT_EQ(patch_bad.status, 400) << patch_bad.text;
  EXPECT_EQ(patch_bad.body["error"]["code"], "release_type.unknown_placeholder");
  auto patch_group =
      as("admin", "PATCH", "/api/v1/release-types/standard", json{{"notify_groups", {"ghosts"}}});
  EXPECT_EQ(patch_group.status, 400) << patch_group.text;
  auto patch_missing =
      as("admin", "PATCH", "/api/v1/release-types/other", json{{"description", "x"}});
  EXPECT_EQ(patch_missing.status, 404) << patch_missing.text;
  auto patched = as("admin", "PATCH", "/api/v1/release-types/standard",
                    json{{"description", "planned"}, {"executor_group", "cab"}});
  ASSERT_EQ(patched.status, 200) << patched.text;
  EXPECT_EQ(patched.body["version"], 2);
  auto shown = as("nina", "GET", "/api/v1/release-types/standard");
  ASSERT_EQ(shown.status, 200) << shown.text;
  EXPECT_EQ(shown.body["executor_group"], "cab");
  EXPECT_EQ(shown.body["templates"]["closed"]["body"], "closed by {{actor}}")
      << "the refused patch changed nothing";
  EXPECT_EQ(as("nina", "GET", "/api/v1/release-types/other").status, 404);

  // A release of an unknown type.
  auto unknown = as("rita", "POST", "/api/v1/releases", json{{"title", "x"}, {"type", "nope"}});
  EXPECT_EQ(unknown.status, 400) << unknown.text;
  EXPECT_EQ(unknown.body["error"]["code"], "release.unknown_type");
  auto explicit_group = as("rita", "POST", "/api/v1/releases",
                           json{{"title", "y"}, {"type", "standard"}, {"executor_group", "ops"}});
  ASSERT_EQ(explicit_group.status, 201) << explicit_group.text;
  EXPECT_EQ(explicit_group.body["executor_group"], "ops") << "the request's group wins";
  auto changed_type =
      as("rita", "PATCH",
         "/api/v1/releases/" + std::to_string(explicit_group.body["id"].get<std::int64_t>()),
         json{{"expected_version", 1}, {"type", "nope"}});
  EXPECT_EQ(changed_type.status, 400) << changed_type.text;
  EXPECT_EQ(changed_type.body["error"]["code"], "release.unknown_type");
  auto releases = as("admin", "GET", "/api/v1/releases");
  EXPECT_EQ(releases.body["items"].size(), 1u) << "the refused release was not stored";

  // Subscriptions: members subscribe their group; others need delegate; groups must exist.
  const std::string subs = "/api/v1/releases/" +
                           std::to_string(explicit_group.body["id"].get<std::int64_t>()) +
                           "/subscriptions";
  auto outsider = as("nina", "POST", subs, json{{"group", "cab"}});
  EXPECT_EQ(outsider.status, 403) << outsider.text;
  EXPECT_EQ(outsider.body["error"]["code"], "auth.not_in_group");
  auto ghost = as("max", "POST", subs, json{{"group", "ghosts"}});
  EXPECT_EQ(ghost.status, 400) << ghost.text;
  EXPECT_EQ(ghost.body["error"]["code"], "release.unknown_group");
  auto for_them = as("max", "POST", subs, json{{"group", "cab"}});
  EXPECT_EQ(for_them.status, 201) << for_them.text;
  EXPECT_EQ(as("nina", "DELETE", subs + "/cab").status, 403);
  EXPECT_EQ(as("carl", "DELETE", subs + "/watchers").status, 403) << "not carl's group";
  EXPECT_EQ(as("max", "DELETE", subs + "/watchers").status, 404) << "not subscribed";
  EXPECT_EQ(as("carl", "POST", "/api/v1/releases/999/subscriptions", json{{"group", "cab"}}).status,
            404);
  auto extra = as("carl", "POST", subs, json{{"group", "cab"}, {"why", 1}});
  EXPECT_EQ(extra.status, 400) << extra.text;
  auto unauthenticated = controller.call("", "GET", "/api/v1/notifications");
  EXPECT_EQ(unauthenticated.status, 401) << unauthenticated.text;
}

}  // namespace
}  // namespace relman::test
