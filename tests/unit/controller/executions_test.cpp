// Execution records read from a release's audit entries: numbered, with who started and ended
// each, the outcome, and the notes attached to the execution they were written in.
#include "controller/releases/executions.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace relman::controller {
namespace {
using nlohmann::json;

AuditEntry entry(std::int64_t at, const std::string& actor, const std::string& action,
                 const json& effects) {
  AuditEntry e;
  e.id = at;
  e.at = at;
  e.actor = actor;
  e.action = "release." + action;
  e.object_type = "release";
  e.object_id = "1";
  e.detail_json = json{{"from", "x"}, {"to", "y"}, {"effects", effects}}.dump();
  return e;
}

json started(int n) {
  return json::array({{{"kind", "execution_started"}, {"detail", std::to_string(n)}}});
}
json ended(const std::string& outcome) {
  return json::array({{{"kind", "execution_ended"}, {"detail", outcome}}});
}

ExecutionNote note(std::int64_t execution, std::int64_t minutes, const std::string& text) {
  ExecutionNote n;
  n.id = minutes;
  n.release_id = 1;
  n.execution = execution;
  n.author = "eve";
  n.minutes_spent = minutes;
  n.description = text;
  return n;
}

TEST(Executions, EachStartOpensOneAndEachEndClosesTheOpenOne) {
  std::vector<AuditEntry> history = {
      entry(10, "rita", "create", json::array()),
      entry(11, "eve", "start_execution", started(1)),
      entry(12, "eve", "submit_for_test", json::array()),
      entry(13, "eve", "mark_unresolved", ended("unresolved")),
      entry(14, "rita", "new_execution", started(2)),
      entry(15, "eve", "solve", ended("solved")),
      entry(16, "rita", "close", json::array({{{"kind", "promote_linked_cis"}, {"detail", ""}}})),
      entry(17, "max", "reopen", started(3)),
  };
  auto list = executions_of(history, {note(1, 30, "tried"), note(2, 5, "a"), note(2, 7, "b")});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].number, 1);
  EXPECT_EQ(list[0].started_at, 11);
  EXPECT_EQ(list[0].started_by, "eve");
  EXPECT_EQ(list[0].started_with, "start_execution");
  EXPECT_EQ(list[0].ended_at, 13);
  EXPECT_EQ(list[0].ended_with, "mark_unresolved");
  EXPECT_EQ(list[0].outcome, "unresolved");
  EXPECT_EQ(list[0].minutes_spent, 30);
  EXPECT_EQ(list[1].started_with, "new_execution");
  EXPECT_EQ(list[1].outcome, "solved");
  EXPECT_EQ(list[1].notes.size(), 2u);
  EXPECT_EQ(list[1].minutes_spent, 12);
  EXPECT_EQ(list[2].started_by, "max");
  EXPECT_FALSE(list[2].ended_at.has_value());
  EXPECT_TRUE(to_json(list[2])["open"].get<bool>());
  EXPECT_TRUE(to_json(list[2])["outcome"].is_null());
  EXPECT_FALSE(to_json(list[0])["open"].get<bool>());
}

TEST(Executions, AnEndWithoutAnOpenExecutionAndOddEntriesAreIgnored) {
  AuditEntry broken = entry(5, "x", "update", json::array());
  broken.detail_json = "not json";
  AuditEntry other = entry(6, "x", "create", json::array());
  other.action = "package.authorize";
  other.detail_json = json{{"effects", started(9)}}.dump();
  std::vector<AuditEntry> history = {
      broken,
      other,
      entry(7, "eve", "cancel", ended("cancelled")),
      entry(8, "eve", "start_execution",
            json::array({{{"kind", "execution_started"}, {"detail", "one"}}})),
  };
  EXPECT_TRUE(executions_of(history, {}).empty());
}

TEST(Executions, ANoteWithoutItsStartEntryStillShowsUnderItsNumber) {
  auto list = executions_of({}, {note(4, 10, "kept")});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].number, 4);
  EXPECT_EQ(list[0].started_at, 0);
  EXPECT_FALSE(to_json(list[0])["open"].get<bool>());
  EXPECT_EQ(list[0].notes[0].description, "kept");
}

}  // namespace
}  // namespace relman::controller
