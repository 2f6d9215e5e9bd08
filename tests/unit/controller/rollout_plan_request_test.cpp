#include "controller/rollout/plan_request.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace relman::controller::rollout {
namespace {

using nlohmann::json;

json full_request() {
  return json::parse(R"({
    "target": {"query": "os.id == \"debian\" and memory_mb >= 2048", "hosts": ["web-1"]},
    "policy": {
      "canary": {"count": 2, "max_concurrent": 1, "success_threshold_percent": 100,
                 "error_threshold_percent": 0},
      "batches": {"percent": 25, "max_concurrent": 5, "success_threshold_percent": 90,
                  "error_threshold_percent": 10}
    },
    "windows": {
      "maintenance": [{"name": "nightly", "days": ["mon", "wed", "sun"], "start": "22:00",
                       "end": "04:00", "time_zone": "Europe/Berlin", "groups": ["berlin"]}],
      "blackouts": [{"name": "freeze", "start": 1766620800, "end": 1767225600}]
    },
    "dependencies": [{"host": "app-1", "depends_on": "db-1"}],
    "groups": [{"name": "berlin", "hosts": ["web-1", "db-1"]}, {"name": "all", "hosts": ["web-1"]}]
  })");
}

TEST(PlanRequest, ReadsEveryField) {
  auto req = plan_request_from_json(full_request());
  ASSERT_TRUE(req.has_value()) << req.error().describe();
  ASSERT_TRUE(req->target.query.has_value());
  EXPECT_EQ(req->target.query->text(), "os.id == \"debian\" and memory_mb >= 2048");
  EXPECT_EQ(req->target.hosts, (std::vector<std::string>{"web-1"}));
  ASSERT_TRUE(req->policy.canary_size.has_value());
  EXPECT_EQ(req->policy.canary_size->unit, WaveSize::Unit::hosts);
  EXPECT_EQ(req->policy.canary_size->value, 2);
  EXPECT_EQ(req->policy.canary_rules.max_concurrent, 1);
  EXPECT_EQ(req->policy.batch_size.unit, WaveSize::Unit::percent);
  EXPECT_EQ(req->policy.batch_size.value, 25);
  EXPECT_EQ(req->policy.batch_rules.success_threshold_percent, 90);
  EXPECT_EQ(req->policy.batch_rules.error_threshold_percent, 10);
  ASSERT_EQ(req->maintenance.size(), 1u);
  EXPECT_EQ(req->maintenance[0].days, kMonday | kWednesday | kSunday);
  EXPECT_EQ(req->maintenance[0].start_minute, 22 * 60);
  EXPECT_EQ(req->maintenance[0].end_minute, 4 * 60);
  EXPECT_EQ(req->maintenance[0].time_zone, "Europe/Berlin");
  ASSERT_EQ(req->blackouts.size(), 1u);
  EXPECT_EQ(req->blackouts[0].end, 1767225600);
  ASSERT_EQ(req->dependencies.size(), 1u);
  EXPECT_EQ(req->dependencies[0].host, "app-1");
  EXPECT_EQ(req->dependencies[0].depends_on, "db-1");
  EXPECT_EQ(groups_of(*req, "web-1"), (std::vector<std::string>{"all", "berlin"}));
  EXPECT_EQ(groups_of(*req, "db-1"), (std::vector<std::string>{"berlin"}));
  EXPECT_TRUE(groups_of(*req, "other").empty());
  // The index says the same for every host at once.
  auto index = groups_by_host(*req);
  for (const char* host : {"web-1", "db-1"}) EXPECT_EQ(index[host], groups_of(*req, host)) << host;
  EXPECT_FALSE(index.contains("other"));
}

TEST(PlanRequest, WritesBackWhatItRead) {
  auto req = plan_request_from_json(full_request());
  ASSERT_TRUE(req.has_value()) << req.error().describe();
  auto again = plan_request_from_json(to_json(*req));
  ASSERT_TRUE(again.has_value()) << again.error().describe();
  EXPECT_EQ(to_json(*again), to_json(*req));
  EXPECT_EQ(to_json(*req)["windows"]["maintenance"][0]["end"], "04:00");
}

TEST(PlanRequest, DefaultsAreAllHostsInOneWaveWithoutTolerance) {
  auto req = plan_request_from_json(
      json::parse(R"({"target": {"hosts": ["a"]}, "policy": {"batches": {"percent": 100}}})"));
  ASSERT_TRUE(req.has_value()) << req.error().describe();
  EXPECT_FALSE(req->target.query.has_value());
  EXPECT_FALSE(req->policy.canary_size.has_value());
  EXPECT_TRUE(req->policy.canary_hosts.empty());
  EXPECT_FALSE(req->policy.batch_rules.max_concurrent.has_value());
  EXPECT_EQ(req->policy.batch_rules.success_threshold_percent, 100);
  EXPECT_EQ(req->policy.batch_rules.error_threshold_percent, 0);
  EXPECT_TRUE(req->maintenance.empty());
  EXPECT_TRUE(req->dependencies.empty());
}

struct BadCase {
  std::string what;
  std::function<void(json&)> change;
  std::string code;
  std::string context;
};

TEST(PlanRequest, RefusesBadInputNamingTheField) {
  std::vector<BadCase> cases = {
      {"unknown top-level field", [](json& j) { j["dry"] = true; }, "protocol.unknown_field",
       "dry"},
      {"no target", [](json& j) { j.erase("target"); }, "protocol.missing_field", "target"},
      {"empty target", [](json& j) { j["target"] = json::object(); }, "protocol.missing_field",
       "target.query"},
      {"query syntax", [](json& j) { j["target"]["query"] = "os.id == "; }, "query.syntax",
       "target.query"},
      {"query type", [](json& j) { j["target"]["query"] = 5; }, "protocol.wrong_type",
       "target.query"},
      {"host not a string", [](json& j) { j["target"]["hosts"] = json::array({1}); },
       "protocol.wrong_type", "target.hosts[0]"},
      {"canary count and percent", [](json& j) { j["policy"]["canary"]["percent"] = 5; },
       "plan.invalid_policy", "policy.canary.percent"},
      {"canary count and hosts",
       [](json& j) { j["policy"]["canary"]["hosts"] = json::array({"a"}); }, "plan.invalid_policy",
       "policy.canary.hosts"},
      {"canary without size", [](json& j) { j["policy"]["canary"] = json::object(); },
       "protocol.missing_field", "policy.canary.count"},
      {"batches without size", [](json& j) { j["policy"]["batches"].erase("percent"); },
       "protocol.missing_field", "policy.batches.count"},
      {"percent out of range", [](json& j) { j["policy"]["batches"]["percent"] = 0; },
       "protocol.out_of_range", "policy.batches.percent"},
      {"error threshold out of range",
       [](json& j) { j["policy"]["batches"]["error_threshold_percent"] = 101; },
       "protocol.out_of_range", "policy.batches.error_threshold_percent"},
      {"unknown policy field", [](json& j) { j["policy"]["batches"]["size"] = 1; },
       "protocol.unknown_field", "policy.batches.size"},
      {"bad day", [](json& j) { j["windows"]["maintenance"][0]["days"][1] = "wednesday"; },
       "protocol.invalid_value", "windows.maintenance[0].days[1]"},
      {"day twice", [](json& j) { j["windows"]["maintenance"][0]["days"][1] = "mon"; },
       "protocol.invalid_value", "windows.maintenance[0].days[1]"},
      {"no days", [](json& j) { j["windows"]["maintenance"][0]["days"] = json::array(); },
       "plan.invalid_window", "windows.maintenance[0].days"},
      {"bad clock", [](json& j) { j["windows"]["maintenance"][0]["start"] = "24:00"; },
       "protocol.invalid_value", "windows.maintenance[0].start"},
      {"bad clock text", [](json& j) { j["windows"]["maintenance"][0]["end"] = "4:00"; },
       "protocol.invalid_value", "windows.maintenance[0].end"},
      {"unknown zone",
       [](json& j) { j["windows"]["maintenance"][0]["time_zone"] = "Europe/Atlantis"; },
       "plan.invalid_window", "windows.maintenance[0].time_zone"},
      {"blackout backwards", [](json& j) { j["windows"]["blackouts"][0]["end"] = 1; },
       "plan.invalid_window", "windows.blackouts[0].end"},
      {"blackout not a number", [](json& j) { j["windows"]["blackouts"][0]["start"] = "now"; },
       "protocol.wrong_type", "windows.blackouts[0].start"},
      {"dependency without depends_on", [](json& j) { j["dependencies"][0].erase("depends_on"); },
       "protocol.missing_field", "dependencies[0].depends_on"},
      {"dependency unknown field", [](json& j) { j["dependencies"][0]["kind"] = "runs_on"; },
       "protocol.unknown_field", "dependencies[0].kind"},
      {"dependency not an object", [](json& j) { j["dependencies"][0] = "a->b"; },
       "protocol.not_an_object", "dependencies[0]"},
      {"group without hosts", [](json& j) { j["groups"][1].erase("hosts"); },
       "protocol.missing_field", "groups[1].hosts"},
      {"group empty name", [](json& j) { j["groups"][0]["name"] = ""; }, "protocol.empty_field",
       "groups[0].name"},
  };
  for (const auto& c : cases) {
    json body = full_request();
    c.change(body);
    auto req = plan_request_from_json(body);
    ASSERT_FALSE(req.has_value()) << c.what;
    EXPECT_EQ(req.error().code, c.code) << c.what << ": " << req.error().describe();
    EXPECT_EQ(req.error().context, c.context) << c.what << ": " << req.error().describe();
  }
}

TEST(PlanRequest, AQuerySyntaxErrorSaysTheColumn) {
  json body = full_request();
  body["target"]["query"] = "os.id == \"debian\" and and";
  auto req = plan_request_from_json(body);
  ASSERT_FALSE(req.has_value());
  EXPECT_EQ(req.error().code, "query.syntax");
  EXPECT_EQ(req.error().message.rfind("at column 23: ", 0), 0u) << req.error().message;
}

}  // namespace
}  // namespace relman::controller::rollout
