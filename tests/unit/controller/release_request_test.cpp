#include "controller/releases/release_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;
using protocol::kMaxIdLength;
using protocol::kMaxTextLength;

json full_body() {
  return json{
      {"title", "Upgrade nginx to 1.24"},
      {"description", "Security fixes.\nSee the change record."},
      {"type", "standard"},
      {"risk", "high"},
      {"impact", "critical"},
      {"urgency", "low"},
      {"planned_start", 1700000000},
      {"planned_end", 1700003600},
      {"release_version", "2024.1"},
      {"linked_changes",
       {{{"id", "CHG-17"}, {"title", "nginx upgrade"}, {"rollback_plan", "reinstall 1.22"}}}},
      {"linked_cis", {12, 7}},
      {"linked_package_versions", {3}},
      {"occurrences",
       {{{"category", "incident"},
         {"source", "monitoring"},
         {"minutes_spent", 45},
         {"description", "502s on web01"}}}},
      {"scheduled_activities",
       {{{"group", "ops"},
         {"guidelines", "drain first"},
         {"date", 1700001000},
         {"estimated_minutes", 30}}}},
      {"approval", {{"policy", "unanimity"}, {"approvers", {"carol", "alice"}}}},
      {"requester", "rita"},
      {"executor_group", "ops"},
      {"current_responsible", {{"kind", "group"}, {"name", "ops"}}},
      {"shared_with", {{{"kind", "user"}, {"name", "zoe"}}, {{"kind", "group"}, {"name", "dba"}}}},
  };
}

template <class T>
void expect_refused(const Result<T>& r, const std::string& code, const std::string& context,
                    const json& body) {
  ASSERT_FALSE(r) << "accepted: " << body.dump();
  EXPECT_EQ(r.error().code, code) << body.dump() << " -> " << r.error().describe();
  EXPECT_EQ(r.error().context, context) << body.dump() << " -> " << r.error().describe();
}

void expect_create_refused(const json& body, const std::string& code, const std::string& context) {
  expect_refused(parse_create_release(body), code, context, body);
}

json with(json body, const json::json_pointer& at, json value) {
  body[at] = std::move(value);
  return body;
}

TEST(CreateRelease, MinimalBodyTakesDefaults) {
  auto c = parse_create_release(json{{"title", "Patch openssl"}});
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->fields.title, "Patch openssl");
  EXPECT_EQ(c->fields.risk, Rating::medium);
  EXPECT_EQ(c->fields.impact, Rating::medium);
  EXPECT_EQ(c->fields.urgency, Rating::medium);
  EXPECT_FALSE(c->fields.planned_start);
  EXPECT_TRUE(c->fields.linked_changes.empty());
  EXPECT_EQ(c->fields.approval_policy, ApprovalPolicy::majority);
  EXPECT_FALSE(c->requester);
  EXPECT_FALSE(c->executor_group);
  EXPECT_FALSE(c->current_responsible);
  EXPECT_TRUE(c->shared_with.empty());
}

TEST(CreateRelease, FullBodyKeepsEveryField) {
  auto c = parse_create_release(full_body());
  ASSERT_TRUE(c) << c.error().describe();
  const auto& f = c->fields;
  EXPECT_EQ(f.description, "Security fixes.\nSee the change record.");
  EXPECT_EQ(f.type, "standard");
  EXPECT_EQ(f.risk, Rating::high);
  EXPECT_EQ(f.impact, Rating::critical);
  EXPECT_EQ(f.urgency, Rating::low);
  EXPECT_EQ(f.planned_start, 1700000000);
  EXPECT_EQ(f.planned_end, 1700003600);
  EXPECT_EQ(f.release_version, "2024.1");
  EXPECT_EQ(f.linked_changes,
            (std::vector<LinkedChange>{{"CHG-17", "nginx upgrade", "reinstall 1.22"}}));
  EXPECT_EQ(f.linked_cis, (std::vector<std::int64_t>{12, 7}));
  EXPECT_EQ(f.linked_package_versions, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(f.occurrences,
            (std::vector<Occurrence>{{"incident", "monitoring", 45, "502s on web01"}}));
  EXPECT_EQ(f.scheduled_activities,
            (std::vector<ScheduledActivity>{{"ops", "drain first", 1700001000, 30}}));
  EXPECT_EQ(f.approval_policy, ApprovalPolicy::unanimity);
  EXPECT_EQ(f.approvers, (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(c->requester, "rita");
  EXPECT_EQ(c->executor_group, "ops");
  EXPECT_EQ(c->current_responsible, (Principal{PrincipalKind::group, "ops"}));
  EXPECT_EQ(c->shared_with,
            (std::vector<Principal>{{PrincipalKind::user, "zoe"}, {PrincipalKind::group, "dba"}}));
}

TEST(CreateRelease, FieldsRoundTripThroughJson) {
  auto c = parse_create_release(full_body());
  ASSERT_TRUE(c);
  auto again = parse_create_release(to_json(c->fields));
  ASSERT_TRUE(again) << again.error().describe() << "\n" << to_json(c->fields).dump();
  EXPECT_EQ(again->fields, c->fields);
  EXPECT_EQ(to_json(Principal{PrincipalKind::group, "ops"}),
            (json{{"kind", "group"}, {"name", "ops"}}));
}

TEST(CreateRelease, RefusesServerOwnedAndUnknownFields) {
  for (const char* key : {"number", "priority", "state", "release_date", "solution_category",
                          "closure_text", "id", "attachments", "Title", "titel"}) {
    expect_create_refused(with(full_body(), json::json_pointer("/" + std::string(key)), "x"),
                          "protocol.unknown_field", key);
  }
  expect_create_refused(with(full_body(), "/linked_changes/0/owner"_json_pointer, "x"),
                        "protocol.unknown_field", "linked_changes[0].owner");
  expect_create_refused(with(full_body(), "/occurrences/0/x"_json_pointer, 1),
                        "protocol.unknown_field", "occurrences[0].x");
  expect_create_refused(with(full_body(), "/scheduled_activities/0/x"_json_pointer, 1),
                        "protocol.unknown_field", "scheduled_activities[0].x");
  expect_create_refused(with(full_body(), "/approval/quorum"_json_pointer, 2),
                        "protocol.unknown_field", "approval.quorum");
  expect_create_refused(with(full_body(), "/current_responsible/id"_json_pointer, 2),
                        "protocol.unknown_field", "current_responsible.id");
  expect_create_refused(with(full_body(), "/shared_with/1/email"_json_pointer, "a@b"),
                        "protocol.unknown_field", "shared_with[1].email");
}

TEST(CreateRelease, RefusesWrongTypesNamingTheField) {
  struct Case {
    const char* pointer;
    json value;
    const char* context;
    const char* code = "protocol.wrong_type";
  };
  const std::vector<Case> cases = {
      {"/title", 5, "title"},
      {"/description", json::array(), "description"},
      {"/type", true, "type"},
      {"/risk", 3, "risk"},
      {"/planned_start", "2024-01-01T00:00:00Z", "planned_start"},
      {"/planned_end", 1.5, "planned_end"},
      {"/release_version", 2, "release_version"},
      {"/linked_changes", "CHG-1", "linked_changes"},
      {"/linked_changes/0", "CHG-1", "linked_changes[0]", "protocol.not_an_object"},
      {"/linked_changes/0/id", 17, "linked_changes[0].id"},
      {"/linked_cis", json::object(), "linked_cis"},
      {"/linked_cis/1", "7", "linked_cis[1]"},
      {"/linked_cis/0", 1.0, "linked_cis[0]"},
      {"/linked_package_versions/0", json::array(), "linked_package_versions[0]"},
      {"/occurrences/0/minutes_spent", "45", "occurrences[0].minutes_spent"},
      {"/scheduled_activities/0/date", "tomorrow", "scheduled_activities[0].date"},
      {"/approval", "majority", "approval"},
      {"/approval/approvers", "alice", "approval.approvers"},
      {"/approval/approvers/0", 1, "approval.approvers[0]"},
      {"/requester", 1, "requester"},
      {"/current_responsible", "ops", "current_responsible"},
      {"/shared_with/0", "zoe", "shared_with[0]", "protocol.not_an_object"},
  };
  for (const auto& c : cases) {
    expect_create_refused(with(full_body(), json::json_pointer(c.pointer), c.value), c.code,
                          c.context);
  }
}

TEST(CreateRelease, RefusesBadValuesNamingTheField) {
  struct Case {
    const char* pointer;
    json value;
    const char* code;
    const char* context;
  };
  const std::vector<Case> cases = {
      {"/title", "", "protocol.empty_field", "title"},
      {"/title", "two\nlines", "protocol.invalid_value", "title"},
      {"/title", std::string("nul\0byte", 8), "protocol.invalid_value", "title"},
      {"/description", "bell\x07", "protocol.invalid_value", "description"},
      {"/description", "del\x7f", "protocol.invalid_value", "description"},
      {"/type", "a\tb", "protocol.invalid_value", "type"},
      {"/risk", "severe", "protocol.invalid_value", "risk"},
      {"/impact", "HIGH", "protocol.invalid_value", "impact"},
      {"/urgency", "", "protocol.invalid_value", "urgency"},
      {"/planned_start", -1, "protocol.out_of_range", "planned_start"},
      {"/planned_end", 253402300800, "protocol.out_of_range", "planned_end"},
      {"/linked_cis/0", 0, "protocol.out_of_range", "linked_cis[0]"},
      {"/linked_cis/0", -4, "protocol.out_of_range", "linked_cis[0]"},
      {"/linked_cis/0", 9223372036854775808ull, "protocol.out_of_range", "linked_cis[0]"},
      {"/linked_cis/1", 12, "protocol.invalid_value", "linked_cis"},
      {"/linked_package_versions/1", 3, "protocol.invalid_value", "linked_package_versions"},
      {"/linked_changes/0/id", "", "protocol.empty_field", "linked_changes[0].id"},
      {"/linked_changes/0/rollback_plan", "", "protocol.empty_field",
       "linked_changes[0].rollback_plan"},
      {"/linked_changes/1", json{{"id", "CHG-17"}, {"title", "again"}, {"rollback_plan", "x"}},
       "protocol.invalid_value", "linked_changes"},
      {"/occurrences/0/minutes_spent", -1, "protocol.out_of_range", "occurrences[0].minutes_spent"},
      {"/occurrences/0/minutes_spent", 525601, "protocol.out_of_range",
       "occurrences[0].minutes_spent"},
      {"/scheduled_activities/0/estimated_minutes", -5, "protocol.out_of_range",
       "scheduled_activities[0].estimated_minutes"},
      {"/approval/policy", "consensus", "protocol.invalid_value", "approval.policy"},
      {"/approval/approvers/1", "carol", "protocol.invalid_value", "approval.approvers"},
      {"/approval/approvers/0", "", "protocol.empty_field", "approval.approvers[0]"},
      {"/approval/approvers/0", "a\nb", "protocol.invalid_value", "approval.approvers[0]"},
      {"/requester", "", "protocol.empty_field", "requester"},
      {"/executor_group", "", "protocol.empty_field", "executor_group"},
      {"/current_responsible/kind", "robot", "protocol.invalid_value", "current_responsible.kind"},
      {"/shared_with/0/name", "", "protocol.empty_field", "shared_with[0].name"},
      {"/shared_with/1", json{{"kind", "user"}, {"name", "zoe"}}, "protocol.invalid_value",
       "shared_with"},
  };
  for (const auto& c : cases) {
    expect_create_refused(with(full_body(), json::json_pointer(c.pointer), c.value), c.code,
                          c.context);
  }
  json missing = full_body();
  missing["linked_changes"][0].erase("rollback_plan");
  expect_create_refused(missing, "protocol.missing_field", "linked_changes[0].rollback_plan");
  missing = full_body();
  missing.erase("title");
  expect_create_refused(missing, "protocol.missing_field", "title");
  missing = full_body();
  missing["shared_with"][0].erase("kind");
  expect_create_refused(missing, "protocol.missing_field", "shared_with[0].kind");
}

TEST(CreateRelease, PlannedEndMustNotPrecedeStart) {
  json body = full_body();
  body["planned_end"] = 1699999999;
  expect_create_refused(body, "release.invalid_period", "planned_end");
  body["planned_end"] = 1700000000;
  EXPECT_TRUE(parse_create_release(body));
  body.erase("planned_start");
  EXPECT_TRUE(parse_create_release(body));
}

TEST(CreateRelease, RefusesOversizedFieldsAndLists) {
  expect_create_refused(
      with(full_body(), "/title"_json_pointer, std::string(kMaxTitleLength + 1, 't')),
      "protocol.too_long", "title");
  EXPECT_TRUE(parse_create_release(
      with(full_body(), "/title"_json_pointer, std::string(kMaxTitleLength, 't'))));
  expect_create_refused(
      with(full_body(), "/description"_json_pointer, std::string(kMaxTextLength + 1, 'd')),
      "protocol.too_long", "description");
  expect_create_refused(with(full_body(), "/type"_json_pointer, std::string(kMaxIdLength + 1, 'x')),
                        "protocol.too_long", "type");
  expect_create_refused(with(full_body(), "/linked_changes/0/rollback_plan"_json_pointer,
                             std::string(kMaxTextLength + 1, 'r')),
                        "protocol.too_long", "linked_changes[0].rollback_plan");
  expect_create_refused(
      with(full_body(), "/approval/approvers/0"_json_pointer, std::string(kMaxIdLength + 1, 'a')),
      "protocol.invalid_value", "approval.approvers[0]");

  auto ids = [](std::size_t n) {
    json a = json::array();
    for (std::size_t i = 1; i <= n; ++i) a.push_back(i);
    return a;
  };
  expect_create_refused(with(full_body(), "/linked_cis"_json_pointer, ids(kMaxLinkedCis + 1)),
                        "protocol.too_many_items", "linked_cis");
  EXPECT_TRUE(
      parse_create_release(with(full_body(), "/linked_cis"_json_pointer, ids(kMaxLinkedCis))));
  expect_create_refused(with(full_body(), "/linked_package_versions"_json_pointer,
                             ids(kMaxLinkedPackageVersions + 1)),
                        "protocol.too_many_items", "linked_package_versions");
  auto copies = [](const json& item, std::size_t n) { return json(std::vector<json>(n, item)); };
  const json body = full_body();
  expect_create_refused(with(body, "/linked_changes"_json_pointer,
                             copies(body["linked_changes"][0], kMaxLinkedChanges + 1)),
                        "protocol.too_many_items", "linked_changes");
  expect_create_refused(
      with(body, "/occurrences"_json_pointer, copies(body["occurrences"][0], kMaxOccurrences + 1)),
      "protocol.too_many_items", "occurrences");
  expect_create_refused(with(body, "/scheduled_activities"_json_pointer,
                             copies(body["scheduled_activities"][0], kMaxScheduledActivities + 1)),
                        "protocol.too_many_items", "scheduled_activities");
  expect_create_refused(
      with(body, "/shared_with"_json_pointer, copies(body["shared_with"][0], kMaxSharedWith + 1)),
      "protocol.too_many_items", "shared_with");
  json approvers = json::array();
  for (std::size_t i = 0; i <= kMaxApprovers; ++i) approvers.push_back("u" + std::to_string(i));
  expect_create_refused(with(body, "/approval/approvers"_json_pointer, approvers),
                        "protocol.too_many_items", "approval.approvers");
}

TEST(CreateRelease, MalformedAndOversizedBodiesStopBeforeParsing) {
  auto r = protocol::parse_json_object("{\"title\": \"x\"", protocol::kMaxApiBodyBytes, "body");
  expect_refused(r, "protocol.malformed_json", "body", json());
  r = protocol::parse_json_object("[{\"title\": \"x\"}]", protocol::kMaxApiBodyBytes, "body");
  expect_refused(r, "protocol.not_an_object", "body", json());
  std::string huge =
      json{{"title", "x"}, {"description", std::string(protocol::kMaxApiBodyBytes, 'd')}}.dump();
  r = protocol::parse_json_object(huge, protocol::kMaxApiBodyBytes, "body");
  expect_refused(r, "protocol.too_large", "body", json());
  expect_create_refused(json::array({json{{"title", "x"}}}), "protocol.not_an_object", "document");
  expect_create_refused(json("title"), "protocol.not_an_object", "document");
}

// Quotes, semicolons, comment markers and LIKE wildcards are text like any other: kept
// byte for byte in every text field (the store binds them as parameters).
TEST(CreateRelease, KeepsSqlMetacharactersVerbatimInEveryTextField) {
  const std::vector<std::string> nasty = {"Robert'); DROP TABLE releases;--", "\" OR \"1\"=\"1",
                                          "50% off_ \\ /* */ `x` $1 ?",
                                          "' UNION SELECT password_hash FROM users --"};
  const std::vector<const char*> text_fields = {
      "/title",
      "/description",
      "/type",
      "/release_version",
      "/linked_changes/0/id",
      "/linked_changes/0/title",
      "/linked_changes/0/rollback_plan",
      "/occurrences/0/category",
      "/occurrences/0/source",
      "/occurrences/0/description",
      "/scheduled_activities/0/group",
      "/scheduled_activities/0/guidelines",
      "/approval/approvers/0",
      "/requester",
      "/executor_group",
      "/current_responsible/name",
      "/shared_with/0/name",
  };
  for (const auto& text : nasty) {
    for (const char* field : text_fields) {
      json body = with(full_body(), json::json_pointer(field), text);
      auto c = parse_create_release(body);
      ASSERT_TRUE(c) << field << ": " << c.error().describe();
      json out = to_json(c->fields);
      out["requester"] = *c->requester;
      out["executor_group"] = *c->executor_group;
      out["current_responsible"] = to_json(*c->current_responsible);
      out["shared_with"] = json::array();
      for (const auto& p : c->shared_with) out["shared_with"].push_back(to_json(p));
      // Sorted lists may have moved the value; look for it anywhere in the output.
      EXPECT_NE(out.dump().find(json(text).dump()), std::string::npos) << field;
    }
  }
}

TEST(UpdateRelease, ChangesOnlyThePresentFields) {
  auto base = parse_create_release(full_body());
  ASSERT_TRUE(base);
  auto u = parse_update_release(json{{"expected_version", 4},
                                     {"title", "Upgrade nginx to 1.25"},
                                     {"linked_cis", json::array()},
                                     {"urgency", "high"},
                                     {"description", ""}});
  ASSERT_TRUE(u) << u.error().describe();
  EXPECT_EQ(u->expected_version, 4);
  auto merged = apply_update(base->fields, *u);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->title, "Upgrade nginx to 1.25");
  EXPECT_TRUE(merged->linked_cis.empty());
  EXPECT_EQ(merged->urgency, Rating::high);
  EXPECT_EQ(merged->description, "");
  EXPECT_EQ(merged->impact, Rating::critical);
  EXPECT_EQ(merged->linked_changes, base->fields.linked_changes);
  EXPECT_EQ(merged->approvers, base->fields.approvers);
}

TEST(UpdateRelease, NeedsTheVersionAndSomethingToChange) {
  expect_refused(parse_update_release(json{{"title", "x"}}), "protocol.missing_field",
                 "expected_version", json());
  expect_refused(parse_update_release(json{{"expected_version", 0}, {"title", "x"}}),
                 "protocol.out_of_range", "expected_version", json());
  expect_refused(parse_update_release(json{{"expected_version", "3"}, {"title", "x"}}),
                 "protocol.wrong_type", "expected_version", json());
  expect_refused(parse_update_release(json{{"expected_version", 3}}), "protocol.missing_field",
                 "fields", json());
  expect_refused(parse_update_release(json{{"expected_version", 3}, {"title", nullptr}}),
                 "protocol.missing_field", "fields", json());
  expect_refused(parse_update_release(json{{"expected_version", 3}, {"title", ""}}),
                 "protocol.empty_field", "title", json());
}

TEST(UpdateRelease, TakesTheVersionFromIfMatchWhenTheBodyHasNone) {
  auto u = parse_update_release(json{{"title", "x"}}, 5);
  ASSERT_TRUE(u) << u.error().describe();
  EXPECT_EQ(u->expected_version, 5);
  u = parse_update_release(json{{"expected_version", 5}, {"title", "x"}}, 5);
  ASSERT_TRUE(u) << u.error().describe();
  EXPECT_EQ(u->expected_version, 5);
  expect_refused(parse_update_release(json{{"expected_version", 4}, {"title", "x"}}, 5),
                 "protocol.invalid_value", "expected_version", json());
}

TEST(TransitionBody, TakesTheVersionFromIfMatchWhenTheBodyHasNone) {
  auto t = parse_transition_request(json{{"action", "authorize"}}, 3);
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(t->expected_version, 3);
  expect_refused(
      parse_transition_request(json{{"action", "authorize"}, {"expected_version", 2}}, 3),
      "protocol.invalid_value", "expected_version", json());
}

TEST(UpdateRelease, RefusesFieldsThatChangeThroughTransitionsOrNever) {
  for (const char* key : {"requester", "executor_group", "current_responsible", "shared_with",
                          "state", "number", "priority", "release_date"}) {
    expect_refused(parse_update_release(json{{"expected_version", 3}, {key, "x"}}),
                   "protocol.unknown_field", key, json());
  }
}

TEST(UpdateRelease, PlannedPeriodIsCheckedAgainstTheStoredFields) {
  auto base = parse_create_release(full_body());  // 1700000000 .. 1700003600
  ASSERT_TRUE(base);
  auto u = parse_update_release(json{{"expected_version", 2}, {"planned_end", 1600000000}});
  ASSERT_TRUE(u);
  expect_refused(apply_update(base->fields, *u), "release.invalid_period", "planned_end", json());
  u = parse_update_release(
      json{{"expected_version", 2}, {"planned_start", 1600000000}, {"planned_end", 1600000001}});
  ASSERT_TRUE(u);
  EXPECT_TRUE(apply_update(base->fields, *u));
  expect_refused(
      parse_update_release(json{
          {"expected_version", 2}, {"planned_start", 1600000001}, {"planned_end", 1600000000}}),
      "release.invalid_period", "planned_end", json());
}

TEST(TransitionBody, ReadsEachActionWithItsFields) {
  auto t = parse_transition_request(json{{"action", "solve"},
                                         {"expected_version", 9},
                                         {"release_date", 1700000000},
                                         {"solution_category", "deployed"},
                                         {"closure_text", "done"},
                                         {"comment", "thanks all"}});
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(t->action, LifecycleAction::solve);
  EXPECT_EQ(t->expected_version, 9);
  EXPECT_EQ(t->release_date, 1700000000);
  EXPECT_EQ(t->solution_category, "deployed");
  EXPECT_EQ(t->closure_text, "done");
  EXPECT_EQ(t->comment, "thanks all");

  t = parse_transition_request(json{{"action", "suspend"},
                                    {"expected_version", 2},
                                    {"justification", "change_freeze"},
                                    {"reason", "year end"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->justification, "change_freeze");
  EXPECT_EQ(t->reason, "year end");

  t = parse_transition_request(json{{"action", "delegate"},
                                    {"expected_version", 2},
                                    {"to", {{"kind", "group"}, {"name", "dba"}}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target, (Principal{PrincipalKind::group, "dba"}));
  t = parse_transition_request(json{
      {"action", "share"}, {"expected_version", 2}, {"with", {{"kind", "user"}, {"name", "zoe"}}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->target, (Principal{PrincipalKind::user, "zoe"}));

  for (auto a : kAllLifecycleActions) {
    auto plain = parse_transition_request(
        json{{"action", lifecycle_action_name(a)}, {"expected_version", 1}});
    ASSERT_TRUE(plain) << lifecycle_action_name(a);
    EXPECT_EQ(plain->action, a);
  }
}

TEST(TransitionBody, RefusesFieldsTheActionDoesNotTake) {
  struct Case {
    const char* action;
    const char* field;
  };
  for (auto c :
       {Case{"cancel", "release_date"}, Case{"authorize", "reason"},
        Case{"approve", "justification"}, Case{"solve", "reason"}, Case{"share", "to"},
        Case{"delegate", "with"}, Case{"close", "closure_text"}, Case{"cancel", "state"}}) {
    expect_refused(parse_transition_request(
                       json{{"action", c.action}, {"expected_version", 1}, {c.field, "x"}}),
                   "protocol.unknown_field", c.field, json());
  }
}

TEST(TransitionBody, RefusesBadActionVersionAndTypes) {
  expect_refused(parse_transition_request(json{{"expected_version", 1}}), "protocol.missing_field",
                 "action", json());
  auto r = parse_transition_request(json{{"action", "deploy"}, {"expected_version", 1}});
  expect_refused(r, "protocol.invalid_value", "action", json());
  EXPECT_NE(r.error().message.find("deploy"), std::string::npos);
  expect_refused(parse_transition_request(json{{"action", 3}, {"expected_version", 1}}),
                 "protocol.wrong_type", "action", json());
  expect_refused(parse_transition_request(json{{"action", "close"}}), "protocol.missing_field",
                 "expected_version", json());
  expect_refused(parse_transition_request(json{{"action", "close"}, {"expected_version", -1}}),
                 "protocol.out_of_range", "expected_version", json());
  expect_refused(parse_transition_request(json{
                     {"action", "solve"}, {"expected_version", 1}, {"release_date", "2024-05-01"}}),
                 "protocol.wrong_type", "release_date", json());
  expect_refused(parse_transition_request(json{{"action", "cancel"},
                                               {"expected_version", 1},
                                               {"reason", std::string(kMaxTextLength + 1, 'r')}}),
                 "protocol.too_long", "reason", json());
  expect_refused(parse_transition_request(json{{"action", "delegate"},
                                               {"expected_version", 1},
                                               {"to", {{"kind", "team"}, {"name", "x"}}}}),
                 "protocol.invalid_value", "to.kind", json());
  expect_refused(parse_transition_request(json{
                     {"action", "suspend"}, {"expected_version", 1}, {"justification", "a\nb"}}),
                 "protocol.invalid_value", "justification", json());
  expect_refused(parse_transition_request(json::array()), "protocol.not_an_object", "document",
                 json());
}

// The parser checks shape; apply() checks what each action requires, so a well-formed but
// incomplete body reaches the lifecycle and is refused there with the field's name.
TEST(TransitionBody, RequiredFieldsAreTheLifecyclesToCheck) {
  auto t = parse_transition_request(
      json{{"action", "solve"}, {"expected_version", 7}, {"closure_text", "x"}});
  ASSERT_TRUE(t);
  ReleaseState st;
  st.state = LifecycleState::homologation;
  st.version = 7;
  st.requester = "rita";
  auto applied = apply(st, *t, Actor{"eve", {}});
  expect_refused(applied, "release.field_required", "release_date", json());
}

TEST(ExecutionNoteRequest, TakesTextAndMinutesAndRefusesEverythingElse) {
  auto n = parse_execution_note(json{{"description", "line 1\n\tline 2"}, {"minutes_spent", 45}});
  ASSERT_TRUE(n) << n.error().describe();
  EXPECT_EQ(n->description, "line 1\n\tline 2");
  EXPECT_EQ(n->minutes_spent, 45);
  auto bare = parse_execution_note(json{{"description", "x"}});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->minutes_spent, 0);
  struct Bad {
    json body;
    std::string code, context;
  };
  for (const auto& b : std::vector<Bad>{
           {json::object(), "protocol.missing_field", "description"},
           {{{"description", ""}}, "protocol.empty_field", "description"},
           {{{"description", 5}}, "protocol.wrong_type", "description"},
           {{{"description", "bell \x07"}}, "protocol.invalid_value", "description"},
           {{{"description", std::string(protocol::kMaxTextLength + 1, 'x')}},
            "protocol.too_long",
            "description"},
           {{{"description", "x"}, {"minutes_spent", -1}},
            "protocol.out_of_range",
            "minutes_spent"},
           {{{"description", "x"}, {"minutes_spent", kMaxMinutes + 1}},
            "protocol.out_of_range",
            "minutes_spent"},
           {{{"description", "x"}, {"minutes_spent", "10"}},
            "protocol.wrong_type",
            "minutes_spent"},
           {{{"description", "x"}, {"execution", 1}}, "protocol.unknown_field", "execution"},
       }) {
    expect_refused(parse_execution_note(b.body), b.code, b.context, b.body);
  }
}

}  // namespace
}  // namespace relman::controller
