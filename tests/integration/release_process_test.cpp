// The ITIL release process through the REST API of a real controller: the happy path and every
// side branch, 409 for each illegal transition, 403 naming the permission for each missing
// one, optimistic locking under two racing clients, and bad input that stores nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/release_process_fixture.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

TEST_F(ReleaseProcessTest, HappyPathFromRegistrationToClosureIsAuditedStepByStep) {
  // What the release builds (in development) and what it only touches (in production).
  auto built =
      as("admin", "POST", "/api/v1/cmdb/cis", json{{"class", "software"}, {"name", "payroll 2.4"}});
  ASSERT_EQ(built.status, 201) << built.text;
  ASSERT_EQ(built.body["stage"], "development");
  auto running = as("admin", "POST", "/api/v1/cmdb/cis",
                    json{{"class", "service"}, {"name", "payroll"}, {"stage", "production"}});
  ASSERT_EQ(running.status, 201) << running.text;
  const std::int64_t built_id = built.body["id"], running_id = running.body["id"];
  auto id = create({{"approval", {{"policy", "majority"}, {"approvers", {"ann", "bob", "cid"}}}},
                    {"linked_cis", {built_id, running_id, 99999}}});
  auto fresh = release(id);
  EXPECT_EQ(fresh["state"], "registered");
  EXPECT_EQ(fresh["priority"], 1);  // high impact × critical urgency
  EXPECT_EQ(fresh["requester"], "rita");
  EXPECT_EQ(fresh["version"], 1);

  walk(id, kToHomologation);
  EXPECT_EQ(release(id)["current_responsible"], (json{{"kind", "group"}, {"name", "ops"}}));
  auto early =
      act("eve", id, "solve",
          {{"release_date", 1700000000}, {"solution_category", "x"}, {"closure_text", "y"}});
  EXPECT_EQ(early.status, 409) << early.text;  // the vote is still open
  walk(id, {{"ann", "approve"}, {"bob", "approve"}});
  EXPECT_EQ(release(id)["approval"]["outcome"], "approved");
  walk(id, {{"eve", "solve"}, {"rita", "close"}});

  auto done = release(id);
  EXPECT_EQ(done["state"], "closed");
  EXPECT_EQ(done["release_date"], 1700000000);
  EXPECT_EQ(done["closure_text"], "done");
  EXPECT_EQ(done["version"], 9);
  EXPECT_EQ(history_actions(id),
            (std::vector<std::string>{"release.create", "release.authorize",
                                      "release.start_execution", "release.submit_for_test",
                                      "release.submit_for_homologation", "release.approve",
                                      "release.approve", "release.solve", "release.close"}));
  auto h = as("aud", "GET", path(id) + "/history");
  const auto& close = h.body["items"].back();
  EXPECT_EQ(close["actor"], "rita");
  EXPECT_EQ(close["detail"]["before"]["lifecycle"]["state"], "solved");
  EXPECT_EQ(close["detail"]["after"]["lifecycle"]["state"], "closed");
  EXPECT_EQ(close["detail"]["effects"][0]["kind"], "promote_linked_cis");
  // Closing promoted the CI the release built, as a CI version of its own, and said which.
  EXPECT_EQ(close["detail"]["promoted_cis"],
            (json::array({{{"id", built_id}, {"from", "development"}, {"to", "production"}},
                          {{"id", 99999}, {"missing", true}}})));
  auto promoted = as("aud", "GET", "/api/v1/cmdb/cis/" + std::to_string(built_id));
  EXPECT_EQ(promoted.body["stage"], "production") << promoted.text;
  EXPECT_EQ(promoted.body["version"], 2) << promoted.text;
  EXPECT_EQ(promoted.body["updated_by"], "rita") << promoted.text;
  auto untouched = as("aud", "GET", "/api/v1/cmdb/cis/" + std::to_string(running_id));
  EXPECT_EQ(untouched.body["version"], 1) << untouched.text;
  // The audit log has no route that changes it.
  EXPECT_EQ(as("admin", "DELETE", path(id) + "/history").status, 405);
  EXPECT_EQ(as("admin", "PUT", path(id) + "/history", json::object()).status, 405);
}

TEST_F(ReleaseProcessTest, SuspendAndReactivateReturnToWhereTheReleaseWas) {
  auto id = create();
  walk(id, {{"rita", "authorize"}, {"eve", "start_execution"}});
  auto unlisted = act("max", id, "suspend", {{"justification", "bored"}, {"reason", "x"}});
  EXPECT_EQ(unlisted.status, 400);
  EXPECT_EQ(unlisted.body["error"]["code"], "release.unknown_justification");
  auto no_reason = act("max", id, "suspend", {{"justification", "change_freeze"}});
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(no_reason.body["error"]["context"], "reason");
  auto s = act("max", id, "suspend",
               {{"justification", "change_freeze"}, {"reason", "year-end freeze"}});
  ASSERT_EQ(s.status, 200) << s.text;
  EXPECT_EQ(s.body["state"], "suspended");
  EXPECT_EQ(s.body["suspended_from"], "in_execution");
  EXPECT_EQ(s.body["suspension_justification"], "change_freeze");
  walk(id, {{"max", "reactivate"}});
  expect_state(id, "in_execution");
}

TEST_F(ReleaseProcessTest, UnresolvedGoesBackToTheRequesterForANewExecution) {
  auto id = create();
  walk(id, {{"rita", "authorize"}, {"eve", "start_execution"}, {"eve", "submit_for_test"}});
  auto r = act("eve", id, "mark_unresolved", {{"reason", "tests fail on web02"}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "unresolved");
  EXPECT_EQ(r.body["current_responsible"], (json{{"kind", "user"}, {"name", "rita"}}));
  auto not_requester = act("max", id, "new_execution");
  EXPECT_EQ(not_requester.status, 403);
  EXPECT_EQ(not_requester.body["error"]["code"], "auth.not_requester");
  walk(id, {{"rita", "new_execution"}});
  auto again = release(id);
  EXPECT_EQ(again["state"], "in_execution");
  EXPECT_EQ(again["executions"], 2);
}

TEST_F(ReleaseProcessTest, RejectedVoteMakesTheReleaseUnresolved) {
  auto id = create({{"approval", {{"policy", "unanimity"}, {"approvers", {"ann", "bob"}}}}});
  walk(id, kToHomologation);
  auto outsider = act("cid", id, "approve");
  EXPECT_EQ(outsider.status, 403) << outsider.text;
  EXPECT_EQ(outsider.body["error"]["code"], "approval.not_an_approver");
  auto r = act("bob", id, "reject", {{"comment", "no rollback tested"}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "unresolved");
  EXPECT_EQ(r.body["approval"]["outcome"], "rejected");
}

TEST_F(ReleaseProcessTest, CancelNeedsAReasonAndEndsTheRelease) {
  auto id = create();
  walk(id, {{"rita", "authorize"}});
  auto no_reason = act("max", id, "cancel");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(no_reason.body["error"]["code"], "release.field_required");
  walk(id, {});
  auto r = act("max", id, "cancel", {{"reason", "superseded by REL-000009"}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "cancelled");
  EXPECT_EQ(r.body["cancellation_reason"], "superseded by REL-000009");
  auto edit = as("rita", "PATCH", path(id), json{{"expected_version", 3}, {"title", "late"}});
  EXPECT_EQ(edit.status, 409);
  EXPECT_EQ(edit.body["error"]["code"], "release.not_editable");
}

TEST_F(ReleaseProcessTest, ReopenAfterClosureStartsANewExecution) {
  auto id = create();
  walk(id, kToHomologation);
  walk(id, {{"eve", "solve"}, {"rita", "close"}});
  auto r = act("max", id, "reopen", {{"reason", "regression found"}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "in_execution");
  EXPECT_EQ(r.body["closure_text"], "");
  EXPECT_EQ(r.body["executions"], 2);
}

TEST_F(ReleaseProcessTest, DelegateShareAndCaptureMoveTheResponsibility) {
  auto id = create();
  walk(id, {{"rita", "authorize"}});
  auto d = act("max", id, "delegate", {{"to", {{"kind", "user"}, {"name", "oscar"}}}});
  ASSERT_EQ(d.status, 200) << d.text;
  EXPECT_EQ(d.body["current_responsible"], (json{{"kind", "user"}, {"name", "oscar"}}));
  auto s = act("max", id, "share", {{"with", {{"kind", "group"}, {"name", "dba"}}}});
  ASSERT_EQ(s.status, 200) << s.text;
  EXPECT_EQ(s.body["shared_with"], (json{{{"kind", "group"}, {"name", "dba"}}}));
  auto outsider = act("max", id, "capture");  // max is not in ops
  EXPECT_EQ(outsider.status, 403) << outsider.text;
  EXPECT_EQ(outsider.body["error"]["code"], "auth.not_in_group");
  auto c = act("eve", id, "capture");
  ASSERT_EQ(c.status, 200) << c.text;
  EXPECT_EQ(c.body["current_responsible"], (json{{"kind", "user"}, {"name", "eve"}}));
}

TEST_F(ReleaseProcessTest, EveryIllegalTransitionIs409AndListsTheAllowedOnes) {
  const std::vector<std::string> all = {
      "authorize",     "start_execution", "submit_for_test", "submit_for_homologation",
      "approve",       "reject",          "solve",           "mark_unresolved",
      "new_execution", "close",           "suspend",         "reactivate",
      "cancel",        "reopen",          "capture",         "delegate",
      "share"};
  auto registered = create();
  auto closed = create();
  walk(closed, kToHomologation);
  walk(closed, {{"eve", "solve"}, {"rita", "close"}});
  struct Case {
    std::int64_t id;
    std::vector<std::string> legal;  // for admin (holds every permission, not the requester)
  };
  for (const auto& c : std::vector<Case>{{registered, {"suspend", "cancel", "delegate", "share"}},
                                         {closed, {"reopen"}}}) {
    auto before = release(c.id);
    for (const auto& action : all) {
      if (std::find(c.legal.begin(), c.legal.end(), action) != c.legal.end()) continue;
      // Open in this state, refused by a rule about who acts (403): the requester authorizes,
      // the executor group captures.
      if (c.id == registered && (action == "authorize" || action == "capture")) continue;
      auto r = act("admin", c.id, action);
      EXPECT_EQ(r.status, 409) << before["state"] << " " << action << ": " << r.text;
      EXPECT_EQ(r.body["error"]["code"], "release.illegal_transition") << action;
      std::string expected;
      for (const auto& a : c.legal) expected += (expected.empty() ? "" : ",") + a;
      EXPECT_EQ(r.body["error"]["context"], expected) << action;
    }
    EXPECT_EQ(release(c.id)["version"], before["version"]) << "a refused action changed it";
  }
}

TEST_F(ReleaseProcessTest, EveryMissingPermissionIs403NamingIt) {
  auto id = create();
  const std::vector<std::pair<std::string, std::string>> action_permission = {
      {"authorize", "create"},        {"start_execution", "execute"},
      {"submit_for_test", "execute"}, {"submit_for_homologation", "execute"},
      {"approve", "approve"},         {"reject", "approve"},
      {"solve", "execute"},           {"mark_unresolved", "execute"},
      {"new_execution", "create"},    {"close", "create"},
      {"suspend", "suspend"},         {"reactivate", "reactivate"},
      {"cancel", "cancel"},           {"reopen", "reopen"},
      {"capture", "execute"},         {"delegate", "delegate"},
      {"share", "delegate"}};
  for (const auto& [action, permission] : action_permission) {
    auto r = act("aud", id, action);  // the auditor only reads
    EXPECT_EQ(r.status, 403) << action << ": " << r.text;
    EXPECT_EQ(r.body["error"]["code"], "auth.forbidden") << action;
    EXPECT_EQ(r.body["error"]["context"], permission) << action;
  }
  // Route-level permissions.
  struct Route {
    std::string who, method, target;
    json body;
    std::string permission;
  };
  for (const auto& c : std::vector<Route>{
           {"aud", "POST", "/api/v1/releases", json{{"title", "t"}}, "create"},
           {"eve", "PATCH", path(id), json{{"expected_version", 1}, {"title", "t"}}, "create"},
           {"aud", "POST", path(id) + "/attachments?name=x.txt", json{{"a", 1}}, "create"},
           {"rita", "POST", path(id) + "/deployments", json{{"package_id", 1}, {"hosts", {"h"}}},
            "deploy"},
           {"rita", "POST", "/api/v1/users",
            json{{"username", "x"}, {"password", kPassword}, {"roles", json::array()}}, "admin"},
           {"max", "GET", "/api/v1/users", nullptr, "admin"},
           {"max", "POST", "/api/v1/groups", json{{"name", "g"}}, "admin"},
           {"rita", "POST", "/api/v1/releases", json{{"title", "t"}, {"requester", "eve"}},
            "delegate"},
           {"max", "POST", "/api/v1/cmdb/classes", json{{"name", "c"}}, "manage_cmdb"},
           {"max", "POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", "h"}},
            "manage_cmdb"},
           {"aud", "PATCH", "/api/v1/cmdb/cis/1", json{{"version", 1}}, "manage_cmdb"},
           {"eve", "POST", "/api/v1/cmdb/cis/1/restore", json{{"version", 1}}, "manage_cmdb"},
           {"rita", "POST", "/api/v1/cmdb/cis/1/relationships", json{{"type", "runs_on"}},
            "manage_cmdb"},
           {"max", "DELETE", "/api/v1/cmdb/relationships/1", nullptr, "manage_cmdb"},
           {"rita", "GET", "/api/v1/events", nullptr, "read_audit"},
           {"eve", "GET", "/api/v1/events?after=0", nullptr, "read_audit"},
           {"oscar", "GET", "/api/v1/webhooks", nullptr, "read_audit"},
       }) {
    auto r = as(c.who, c.method, c.target, c.body);
    EXPECT_EQ(r.status, 403) << c.method << " " << c.target << ": " << r.text;
    EXPECT_EQ(r.body["error"]["code"], "auth.forbidden");
    EXPECT_EQ(r.body["error"]["context"], c.permission) << c.method << " " << c.target;
  }
  // The event stream is refused before it starts, with the same answer.
  auto stream = as("rita", "GET", "/api/v1/events", nullptr, {{"accept", "text/event-stream"}});
  EXPECT_EQ(stream.status, 403) << stream.text;
  EXPECT_EQ(stream.body["error"]["context"], "read_audit");
  // Reading the CMDB needs only a login; auditors and release managers follow the events;
  // operators keep the CMDB.
  EXPECT_EQ(as("aud", "GET", "/api/v1/cmdb/cis").status, 200);
  EXPECT_EQ(as("aud", "GET", "/api/v1/cmdb/classes").status, 200);
  EXPECT_EQ(as("aud", "GET", "/api/v1/events").status, 200);
  EXPECT_EQ(as("max", "GET", "/api/v1/events").status, 200);
  auto ci = as("oscar", "POST", "/api/v1/cmdb/cis", json{{"class", "host"}, {"name", "web-1"}});
  EXPECT_EQ(ci.status, 201) << ci.text;
  EXPECT_EQ(controller.call("", "GET", "/api/v1/cmdb/cis").status, 401);
  auto executor_start = act("rita", id, "start_execution");
  EXPECT_EQ(executor_start.body["error"]["context"], "execute");
  EXPECT_EQ(release(id)["version"], 1);
  EXPECT_EQ(as("admin", "GET", "/api/v1/releases").body["items"].size(), 1u);
}

TEST_F(ReleaseProcessTest, RacingClientsNeverLeaveAnIllegalStateAndExactlyOneWinsPerVersion) {
  const std::string max_token = tokens.at("max");
  const std::string eve_token = tokens.at("eve");
  for (int round = 0; round < 6; ++round) {
    auto id = create();
    walk(id, {{"rita", "authorize"}, {"eve", "start_execution"}});
    auto v = release(id)["version"].get<std::int64_t>();
    // Two users act on the same version at once: one moves it on, the other suspends it.
    std::atomic<int> go{0};
    ApiResult a, b;
    auto send = [&](const std::string& token, json body, ApiResult& out) {
      body["expected_version"] = v;
      go.fetch_add(1);
      while (go.load() < 2) std::this_thread::yield();
      out = controller.call(token, "POST", path(id) + "/transitions", body.dump());
    };
    std::thread ta(send, eve_token, json{{"action", "submit_for_test"}}, std::ref(a));
    std::thread tb(
        send, max_token,
        json{{"action", "suspend"}, {"justification", "change_freeze"}, {"reason", "freeze"}},
        std::ref(b));
    ta.join();
    tb.join();
    const int wins = (a.status == 200) + (b.status == 200);
    EXPECT_EQ(wins, 1) << a.text << " | " << b.text;
    const ApiResult& loser = a.status == 200 ? b : a;
    EXPECT_EQ(loser.status, 409) << loser.text;
    EXPECT_EQ(loser.body["error"]["code"], "release.version_conflict") << loser.text;
    auto now = release(id);
    EXPECT_EQ(now["version"], v + 1);
    const std::string state = now["state"];
    EXPECT_TRUE(state == "in_test" || state == "suspended") << state;
    EXPECT_EQ(history_actions(id).size(), 4u);  // created, authorize, start, one winner
  }
}

TEST_F(ReleaseProcessTest, EditsNeedTheCurrentVersionFromTheBodyOrIfMatch) {
  auto id = create();
  auto got = as("rita", "GET", path(id));
  EXPECT_EQ(got.status, 200);
  auto stale = as("rita", "PATCH", path(id), json{{"title", "new"}}, {{"if-match", "\"7\""}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body["error"]["code"], "release.version_conflict");
  auto missing = as("rita", "PATCH", path(id), json{{"title", "new"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["context"], "expected_version");
  auto ok = as("rita", "PATCH", path(id), json{{"title", "new"}, {"urgency", "low"}},
               {{"if-match", "\"1\""}});
  ASSERT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body["title"], "new");
  EXPECT_EQ(ok.body["version"], 2);
  EXPECT_EQ(ok.body["priority"], 4);  // high impact × low urgency
  auto again = as("rita", "PATCH", path(id), json{{"expected_version", 1}, {"title", "lost"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(release(id)["title"], "new");
  EXPECT_EQ(history_actions(id), (std::vector<std::string>{"release.create", "release.update"}));
}

TEST_F(ReleaseProcessTest, BadInputIsRefusedWithAReasonAndStoresNothing) {
  auto id = create();
  struct Case {
    std::string method, target, body, code;
  };
  const std::string t = path(id) + "/transitions";
  for (const auto& c : std::vector<Case>{
           {"POST", "/api/v1/releases", "{\"title\": ", "protocol.malformed_json"},
           {"POST", "/api/v1/releases", R"({"title": "x", "impact": 3})", "protocol.wrong_type"},
           {"POST", "/api/v1/releases", R"({"title": "x", "impact": "huge"})",
            "protocol.invalid_value"},
           {"POST", "/api/v1/releases", R"({"title": "x", "state": "closed"})",
            "protocol.unknown_field"},
           {"POST", "/api/v1/releases", R"({"title": "x", "linked_cis": ["1"]})",
            "protocol.wrong_type"},
           {"POST", "/api/v1/releases", R"({"title": "a\u0000b"})", "protocol.invalid_value"},
           {"PATCH", path(id), R"({"expected_version": 1, "priority": 1})",
            "protocol.unknown_field"},
           {"PATCH", path(id), R"({"expected_version": "1", "title": "x"})", "protocol.wrong_type"},
           {"POST", t, R"({"action": "authorize", "expected_version": 1, "reason": "x"})",
            "protocol.unknown_field"},
           {"POST", t, R"({"action": "launch", "expected_version": 1})", "protocol.invalid_value"},
           {"POST", t, R"({"action": ["authorize"], "expected_version": 1})",
            "protocol.wrong_type"},
           {"POST", t, "[]", "protocol.not_an_object"},
       }) {
    auto r = controller.call(tokens.at("rita"), c.method, c.target, c.body);
    EXPECT_EQ(r.status, 400) << c.method << " " << c.body << " -> " << r.text;
    EXPECT_EQ(r.body["error"]["code"], c.code) << c.body << " -> " << r.text;
  }
  auto big =
      controller.call(tokens.at("rita"), "POST", "/api/v1/releases",
                      json{{"title", "x"}, {"description", std::string(2 << 20, 'd')}}.dump());
  EXPECT_EQ(big.status, 413) << big.text;
  auto q = controller.call(tokens.at("rita"), "GET", "/api/v1/releases?colour=red");
  EXPECT_EQ(q.status, 400);
  EXPECT_EQ(q.body["error"]["code"], "request.invalid_query");
  EXPECT_EQ(as("admin", "GET", "/api/v1/releases").body["items"].size(), 1u);
  EXPECT_EQ(release(id)["version"], 1);
  EXPECT_EQ(history_actions(id).size(), 1u);
}

TEST_F(ReleaseProcessTest, SqlMetacharactersInEveryTextFieldAreStoredVerbatim) {
  const std::string nasty = "x'); DROP TABLE releases; -- \" OR 1=1 % _ \\";
  json body{
      {"title", nasty},
      {"description", nasty},
      {"release_version", nasty},
      {"linked_changes", {{{"id", nasty}, {"title", nasty}, {"rollback_plan", nasty}}}},
      {"occurrences",
       {{{"category", nasty}, {"source", nasty}, {"minutes_spent", 5}, {"description", nasty}}}},
      {"scheduled_activities",
       {{{"group", nasty}, {"guidelines", nasty}, {"date", 1}, {"estimated_minutes", 1}}}},
      {"executor_group", nasty},
      {"shared_with", {{{"kind", "group"}, {"name", nasty}}}}};
  // A type names a release type (GET /release-types): one that does not exist is refused,
  // however it is spelled, and nothing is stored.
  auto typed = body;
  typed["type"] = nasty;
  auto refused = as("rita", "POST", "/api/v1/releases", typed);
  EXPECT_EQ(refused.status, 400) << refused.text;
  EXPECT_EQ(refused.body["error"]["code"], "release.unknown_type") << refused.text;
  auto r = as("rita", "POST", "/api/v1/releases", body);
  ASSERT_EQ(r.status, 201) << r.text;
  auto got = release(r.body["id"]);
  for (const char* key : {"title", "description", "release_version", "executor_group"}) {
    EXPECT_EQ(got[key], nasty) << key;
  }
  EXPECT_EQ(got["linked_changes"][0]["rollback_plan"], nasty);
  EXPECT_EQ(got["occurrences"][0]["source"], nasty);
  EXPECT_EQ(got["scheduled_activities"][0]["guidelines"], nasty);
  EXPECT_EQ(got["shared_with"][0]["name"], nasty);
  create();  // a plain one: the search below must not match it
  auto hit = as("aud", "GET", "/api/v1/releases?q=%25%20_%20");  // "% _ " literally
  ASSERT_EQ(hit.status, 200) << hit.text;
  EXPECT_EQ(hit.body["items"].size(), 1u) << hit.text;
  auto group = as("aud", "GET", "/api/v1/releases?group=x%27)%3B%20DROP");
  EXPECT_EQ(group.body["items"].size(), 0u);
  EXPECT_EQ(as("aud", "GET", "/api/v1/releases").body["items"].size(), 2u);
}

TEST_F(ReleaseProcessTest, SearchExportAndCountsForCharts) {
  auto a = create({{"title", "Patch openssl"}, {"impact", "low"}, {"urgency", "low"}});
  auto b = create({{"title", "Upgrade kernel"}, {"executor_group", "kernel"}});
  auto c = create({{"title", "Rotate, \"certs\""}});
  walk(c, {{"rita", "authorize"}});
  auto max_rel = as("max", "POST", "/api/v1/releases", json{{"title", "By max"}});
  ASSERT_EQ(max_rel.status, 201);
  auto ids = [&](const std::string& query) {
    auto r = as("aud", "GET", "/api/v1/releases" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.text;
    std::vector<std::int64_t> out;
    for (const auto& i : r.body["items"]) out.push_back(i["id"]);
    return out;
  };
  EXPECT_EQ(ids("?state=authorized"), (std::vector<std::int64_t>{c}));
  EXPECT_EQ(ids("?priority=5"), (std::vector<std::int64_t>{a}));
  EXPECT_EQ(ids("?group=kernel"), (std::vector<std::int64_t>{b}));
  EXPECT_EQ(ids("?requester=max").size(), 1u);
  EXPECT_EQ(ids("?q=OPENSSL"), (std::vector<std::int64_t>{a}));
  EXPECT_EQ(ids("?from=0&to=1").size(), 0u);
  EXPECT_EQ(ids("?from=0").size(), 4u);
  EXPECT_EQ(as("aud", "GET", "/api/v1/releases?state=nope").status, 400);
  EXPECT_EQ(as("aud", "GET", "/api/v1/releases?priority=9").status, 400);

  auto counts = as("aud", "GET", "/api/v1/releases/counts?by=state");
  ASSERT_EQ(counts.status, 200) << counts.text;
  EXPECT_EQ(counts.body["counts"],
            (json{{{"key", "authorized"}, {"count", 1}}, {{"key", "registered"}, {"count", 3}}}));
  auto by_group = as("aud", "GET", "/api/v1/releases/counts?by=group&state=registered");
  EXPECT_EQ(by_group.body["counts"], (json{{{"key", ""}, {"count", 1}},
                                           {{"key", "kernel"}, {"count", 1}},
                                           {{"key", "ops"}, {"count", 1}}}));
  auto by_priority = as("aud", "GET", "/api/v1/releases/counts?by=priority");
  EXPECT_EQ(by_priority.body["counts"].size(), 3u) << by_priority.text;
  EXPECT_EQ(as("aud", "GET", "/api/v1/releases/counts?by=colour").status, 400);

  auto csv = as("aud", "GET", "/api/v1/releases?format=csv&q=certs");
  ASSERT_EQ(csv.status, 200) << csv.text;
  EXPECT_EQ(csv.text.substr(0, csv.text.find("\r\n")),
            "id,number,title,state,priority,type,requester,executor_group,current_responsible,"
            "created_at,planned_start,planned_end,release_version");
  EXPECT_NE(csv.text.find(",\"Rotate, \"\"certs\"\"\",authorized,"), std::string::npos) << csv.text;
  auto exported = as("aud", "GET", "/api/v1/releases?format=json");
  ASSERT_EQ(exported.status, 200);
  EXPECT_EQ(exported.body["count"], 4);
  EXPECT_EQ(as("aud", "GET", "/api/v1/releases?format=xml").status, 400);
}

TEST_F(ReleaseProcessTest, UsersGetStrongPasswordsKnownRolesAndUniqueNames) {
  auto weak = as("admin", "POST", "/api/v1/users",
                 json{{"username", "zed"}, {"password", "short"}, {"roles", {"requester"}}});
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.body["error"]["code"], "user.weak_password");
  auto role = as("admin", "POST", "/api/v1/users",
                 json{{"username", "zed"}, {"password", kPassword}, {"roles", {"boss"}}});
  EXPECT_EQ(role.status, 400);
  EXPECT_EQ(role.body["error"]["code"], "user.invalid_role");
  auto dup = as("admin", "POST", "/api/v1/users",
                json{{"username", "rita"}, {"password", kPassword}, {"roles", {"requester"}}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.body["error"]["code"], "user.exists");
  auto name = as("admin", "POST", "/api/v1/users",
                 json{{"username", "a b'"}, {"password", kPassword}, {"roles", json::array()}});
  EXPECT_EQ(name.status, 400);
  // Roles through a group count; the user list never shows a password hash.
  auto grant = as("admin", "POST", "/api/v1/groups",
                  json{{"name", "cab"}, {"roles", {"approver"}}, {"members", {"rita"}}});
  ASSERT_EQ(grant.status, 201) << grant.text;
  auto me = as("rita", "GET", "/api/v1/auth/me");
  EXPECT_EQ(me.body["roles"], (json{"approver", "requester"}));
  EXPECT_EQ(me.body["groups"], (json{"cab"}));
  auto users = as("admin", "GET", "/api/v1/users");
  EXPECT_EQ(users.text.find("scrypt$"), std::string::npos);
  auto members = as("admin", "PUT", "/api/v1/groups/cab/members", json{{"members", {"ghost"}}});
  EXPECT_EQ(members.status, 404);
  EXPECT_EQ(members.body["error"]["code"], "user.not_found");
}

}  // namespace
}  // namespace relman::test
