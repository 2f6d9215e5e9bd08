// A release's whole story as the controller keeps it: the execution records (each execution
// with its notes and outcome) and one audit log that tells, in order and with who and what,
// everything a scripted sequence across the CMDB, the DML and the release process did, and
// that nothing in the API can change.
#include <gtest/gtest.h>

#include <tuple>

#include "tests/integration/release_process_fixture.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class ReleaseStoryTest : public ReleaseProcessTest {
 protected:
  ApiResult note(const std::string& who, std::int64_t id, const json& body) {
    return as(who, "POST", path(id) + "/execution-notes", body);
  }
  json executions(std::int64_t id) {
    auto r = as("aud", "GET", path(id) + "/executions");
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["items"];
  }
  // The audit entries after `after`, oldest first.
  json audit_since(std::int64_t after, const std::string& query = "") {
    auto r = as("aud", "GET", "/api/v1/audit?limit=500" + query);
    EXPECT_EQ(r.status, 200) << r.text;
    json out = json::array();
    for (const auto& e : r.body["items"]) {
      if (e["id"].get<std::int64_t>() > after) out.insert(out.begin(), e);
    }
    return out;
  }
  std::int64_t newest_audit_id() {
    auto r = as("aud", "GET", "/api/v1/audit?limit=1");
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["items"].empty() ? 0 : r.body["items"][0]["id"].get<std::int64_t>();
  }
};

TEST_F(ReleaseStoryTest, ExecutionRecordsListEachExecutionWithItsNotesAndOutcome) {
  auto id = create();
  auto early = note("eve", id, {{"description", "nothing to do yet"}});
  EXPECT_EQ(early.status, 409) << early.text;
  EXPECT_EQ(early.body["error"]["code"], "release.no_open_execution");
  EXPECT_NE(early.body["error"]["message"].get<std::string>().find("registered"),
            std::string::npos);
  EXPECT_TRUE(executions(id).empty());

  walk(id, {{"rita", "authorize"}, {"eve", "start_execution"}});
  auto first =
      note("eve", id, {{"description", "web01 upgraded; web02 refuses"}, {"minutes_spent", 40}});
  ASSERT_EQ(first.status, 201) << first.text;
  EXPECT_EQ(first.body["execution"], 1);
  EXPECT_EQ(first.body["author"], "eve");

  // Who may write, and what is refused: nothing of it is stored.
  auto not_executor = note("rita", id, {{"description", "me too"}});
  EXPECT_EQ(not_executor.status, 403) << not_executor.text;
  EXPECT_NE(not_executor.body["error"]["message"].get<std::string>().find("execute"),
            std::string::npos);
  struct Bad {
    std::string body;
    std::string code;
  };
  for (const auto& b : std::vector<Bad>{
           {"{\"description\": ", "protocol.malformed_json"},
           {R"({"description": 7})", "protocol.wrong_type"},
           {R"({"description": "x", "minutes_spent": -5})", "protocol.out_of_range"},
           {R"({"description": "x", "author": "mallory"})", "protocol.unknown_field"},
           {R"({"description": ""})", "protocol.empty_field"},
           {"[1]", "protocol.not_an_object"},
       }) {
    auto r = controller.call(tokens.at("eve"), "POST", path(id) + "/execution-notes", b.body);
    EXPECT_EQ(r.status, 400) << b.body << " -> " << r.text;
    EXPECT_EQ(r.body["error"]["code"], b.code) << b.body << " -> " << r.text;
  }
  EXPECT_EQ(note("eve", 999999, {{"description", "x"}}).status, 404);
  EXPECT_EQ(note("eve", -1, {{"description", "x"}}).status, 400);
  EXPECT_EQ(as("aud", "GET", path(999999) + "/executions").status, 404);

  walk(id, {{"eve", "submit_for_test"}});
  ASSERT_EQ(act("eve", id, "mark_unresolved", {{"reason", "web02 refuses"}}).status, 200);
  auto between = note("eve", id, {{"description", "waiting"}});
  EXPECT_EQ(between.status, 409) << "unresolved: no execution runs";
  walk(id, {{"rita", "new_execution"}});
  ASSERT_EQ(note("eve", id, {{"description", "web02 disk freed, upgraded"}, {"minutes_spent", 25}})
                .status,
            201);
  ASSERT_EQ(
      note("max", id, {{"description", "checked the dashboards"}, {"minutes_spent", 5}}).status,
      201);
  walk(id, {{"eve", "submit_for_test"}, {"eve", "submit_for_homologation"}, {"eve", "solve"}});
  EXPECT_EQ(note("eve", id, {{"description", "late"}}).status, 409);

  auto list = executions(id);
  ASSERT_EQ(list.size(), 2u) << list.dump();
  EXPECT_EQ(list[0]["number"], 1);
  EXPECT_EQ(list[0]["started_by"], "eve");
  EXPECT_EQ(list[0]["started_with"], "start_execution");
  EXPECT_EQ(list[0]["outcome"], "unresolved");
  EXPECT_EQ(list[0]["ended_by"], "eve");
  EXPECT_EQ(list[0]["minutes_spent"], 40);
  ASSERT_EQ(list[0]["notes"].size(), 1u) << "the refused notes left nothing";
  EXPECT_EQ(list[0]["notes"][0]["description"], "web01 upgraded; web02 refuses");
  EXPECT_EQ(list[1]["number"], 2);
  EXPECT_EQ(list[1]["started_by"], "rita");
  EXPECT_EQ(list[1]["started_with"], "new_execution");
  EXPECT_EQ(list[1]["outcome"], "solved");
  EXPECT_EQ(list[1]["ended_with"], "solve");
  EXPECT_EQ(list[1]["open"], false);
  EXPECT_EQ(list[1]["minutes_spent"], 30);
  EXPECT_EQ(list[1]["notes"].size(), 2u);
  EXPECT_GE(list[1]["started_at"].get<std::int64_t>(), list[0]["ended_at"].get<std::int64_t>());
}

TEST_F(ReleaseStoryTest, TheAuditLogTellsTheWholeStoryAndNothingInTheApiChangesIt) {
  const auto before = newest_audit_id();
  // The CMDB: the operator registers what the release will build.
  auto ci =
      as("oscar", "POST", "/api/v1/cmdb/cis", json{{"class", "software"}, {"name", "payroll 2.4"}});
  ASSERT_EQ(ci.status, 201) << ci.text;
  const std::string ci_id = std::to_string(ci.body["id"].get<std::int64_t>());
  // The DML: a version is uploaded, then tested and authorized by the operator.
  auto pkg = make_package(tmp / "payroll.rpkg", "payroll", "2.4.0", {{"bin/payroll", "v2.4"}},
                          &pki.publisher());
  auto up = controller.upload_raw(pkg);
  ASSERT_EQ(up.status, 201) << up.text;
  const std::int64_t pkg_id = up.body["id"];
  const std::string pkg_path = "/api/v1/packages/" + std::to_string(pkg_id) + "/transitions";
  ASSERT_EQ(as("oscar", "POST", pkg_path, json{{"action", "test"}}).status, 200);
  ASSERT_EQ(as("oscar", "POST", pkg_path, json{{"action", "authorize"}}).status, 200);
  // The release that builds it, edited once, run through to closure.
  auto id = create({{"linked_cis", {ci.body["id"]}}, {"linked_package_versions", {pkg_id}}});
  const std::string rel = std::to_string(id);
  auto edit = as("rita", "PATCH", path(id),
                 json{{"expected_version", 1}, {"title", "Payroll 2.4 for everyone"}});
  ASSERT_EQ(edit.status, 200) << edit.text;
  walk(id, {{"rita", "authorize"}, {"eve", "start_execution"}});
  ASSERT_EQ(note("eve", id, {{"description", "rolled out"}, {"minutes_spent", 20}}).status, 201);
  walk(id, {{"eve", "submit_for_test"},
            {"eve", "submit_for_homologation"},
            {"eve", "solve"},
            {"rita", "close"}});
  // Later the version is withdrawn.
  ASSERT_EQ(
      as("oscar", "POST", pkg_path, json{{"action", "revoke"}, {"reason", "CVE-2026-0001"}}).status,
      200);

  using Step = std::tuple<std::string, std::string, std::string, std::string>;
  std::vector<Step> expected = {
      {"oscar", "ci.create", "ci", ci_id},
      {"admin", "package.upload", "package", std::to_string(pkg_id)},
      {"oscar", "package.test", "package", std::to_string(pkg_id)},
      {"oscar", "package.authorize", "package", std::to_string(pkg_id)},
      {"rita", "release.create", "release", rel},
      {"rita", "release.update", "release", rel},
      {"rita", "release.authorize", "release", rel},
      {"eve", "release.start_execution", "release", rel},
      {"eve", "release.execution_note", "release", rel},
      {"eve", "release.submit_for_test", "release", rel},
      {"eve", "release.submit_for_homologation", "release", rel},
      {"eve", "release.solve", "release", rel},
      // Closing promoted the CI the release built: the CI's own entry says so and why.
      {"rita", "ci.update", "ci", ci_id},
      {"rita", "release.close", "release", rel},
      {"oscar", "package.revoke", "package", std::to_string(pkg_id)},
  };
  auto story = audit_since(before);
  std::vector<Step> got;
  for (const auto& e : story)
    got.emplace_back(e["actor"], e["action"], e["object_type"], e["object_id"]);
  EXPECT_EQ(got, expected) << story.dump(1);

  // Each entry says what changed: before and after, or the reason.
  auto find = [&](const std::string& action) {
    for (const auto& e : story) {
      if (e["action"] == action) return e;
    }
    return json();
  };
  auto update = find("release.update");
  EXPECT_EQ(update["detail"]["before"]["fields"]["title"], "Upgrade nginx") << update.dump();
  EXPECT_EQ(update["detail"]["after"]["fields"]["title"], "Payroll 2.4 for everyone");
  auto close = find("release.close");
  EXPECT_EQ(close["detail"]["promoted_cis"][0]["id"].get<std::int64_t>(), std::stoll(ci_id))
      << close.dump();
  auto promoted = find("ci.update");
  EXPECT_EQ(promoted["detail"]["change"], "promote") << promoted.dump();
  EXPECT_EQ(promoted["detail"]["before"]["stage"], "development");
  EXPECT_EQ(promoted["detail"]["after"]["stage"], "production");
  EXPECT_EQ(promoted["detail"]["cause"]["release_id"], id);
  EXPECT_EQ(find("package.revoke")["detail"]["reason"], "CVE-2026-0001");
  for (const auto& e : story) EXPECT_GT(e["at"].get<std::int64_t>(), 0) << e.dump();

  // The same story per object and per person.
  EXPECT_EQ(audit_since(before, "&object_type=release&object_id=" + rel).size(), 9u);
  EXPECT_EQ(audit_since(before, "&object_type=ci&object_id=" + ci_id).size(), 2u);
  auto eve = audit_since(before, "&actor=eve");
  EXPECT_EQ(eve.size(), 5u) << eve.dump(1);
  for (const auto& e : eve) EXPECT_EQ(e["actor"], "eve");
  EXPECT_EQ(audit_since(before, "&action=package.").size(), 4u);

  // Nothing changes it: no method but GET on the log, its entries or a release's history,
  // even for the admin; and it reads the same afterwards.
  const std::string entry = "/api/v1/audit/" + story[0]["id"].dump();
  for (const auto& target : {std::string("/api/v1/audit"), entry, path(id) + "/history"}) {
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      auto r = as("admin", method, target, json::object());
      EXPECT_TRUE(r.status == 404 || r.status == 405)
          << method << " " << target << " -> " << r.status << " " << r.text;
    }
  }
  EXPECT_EQ(audit_since(before), story);
}

}  // namespace
}  // namespace relman::test
