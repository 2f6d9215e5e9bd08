// The fixture of the release-process tests: a real controller with one user per role (rita
// requester, max release manager, eve executor in group ops, ann/bob/cid approvers, oscar
// operator, aud auditor), and helpers to act as each of them.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/cluster.hpp"

namespace relman::test {

inline const std::string kPassword = "correct-horse-battery-1";

class ReleaseProcessTest : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  ReleaseProcessTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    controller.start();
    struct Who {
      const char* name;
      std::vector<std::string> roles;
    };
    for (const auto& w : std::vector<Who>{{"rita", {"requester"}},
                                          {"max", {"release_manager"}},
                                          {"eve", {"executor"}},
                                          {"ann", {"approver"}},
                                          {"bob", {"approver"}},
                                          {"cid", {"approver"}},
                                          {"oscar", {"operator"}},
                                          {"aud", {"auditor"}}}) {
      auto r =
          controller.api("POST", "/api/v1/users",
                         json{{"username", w.name}, {"password", kPassword}, {"roles", w.roles}});
      ASSERT_EQ(r.status, 201) << r.text;
    }
    auto g = controller.api("POST", "/api/v1/groups", json{{"name", "ops"}, {"members", {"eve"}}});
    ASSERT_EQ(g.status, 201) << g.text;
    for (const char* name : {"rita", "max", "eve", "ann", "bob", "cid", "oscar", "aud"}) {
      tokens[name] = controller.login(name, kPassword);
    }
    tokens["admin"] = controller.token();
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  ApiResult as(const std::string& who, const std::string& method, const std::string& target,
               const json& body = nullptr, const std::map<std::string, std::string>& h = {}) {
    return controller.call(tokens.at(who), method, target, body.is_null() ? "" : body.dump(), h);
  }

  static std::string path(std::int64_t id) { return "/api/v1/releases/" + std::to_string(id); }

  std::int64_t create(const json& extra = json::object()) {
    json body{{"title", "Upgrade nginx"},
              {"executor_group", "ops"},
              {"impact", "high"},
              {"urgency", "critical"}};
    body.update(extra);
    auto r = as("rita", "POST", "/api/v1/releases", body);
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", std::int64_t{0});
  }

  json release(std::int64_t id) {
    auto r = as("admin", "GET", path(id));
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body;
  }

  // A transition at the release's current version.
  ApiResult act(const std::string& who, std::int64_t id, const std::string& action,
                json fields = json::object()) {
    fields["action"] = action;
    fields["expected_version"] = release(id)["version"];
    return as(who, "POST", path(id) + "/transitions", fields);
  }

  void expect_state(std::int64_t id, const std::string& state) {
    EXPECT_EQ(release(id)["state"], state);
  }

  void walk(std::int64_t id, const std::vector<std::pair<std::string, std::string>>& steps) {
    for (const auto& [who, action] : steps) {
      json fields = json::object();
      if (action == "solve") {
        fields = {{"release_date", 1700000000},
                  {"solution_category", "deployed"},
                  {"closure_text", "done"}};
      }
      auto r = act(who, id, action, fields);
      ASSERT_EQ(r.status, 200) << who << " " << action << ": " << r.text;
    }
  }

  std::vector<std::string> history_actions(std::int64_t id) {
    auto h = as("aud", "GET", path(id) + "/history?limit=500");
    EXPECT_EQ(h.status, 200) << h.text;
    std::vector<std::string> out;
    for (const auto& e : h.body["items"]) out.push_back(e["action"]);
    return out;
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::map<std::string, std::string> tokens;
};

inline const std::vector<std::pair<std::string, std::string>> kToHomologation = {
    {"rita", "authorize"},
    {"eve", "start_execution"},
    {"eve", "submit_for_test"},
    {"eve", "submit_for_homologation"}};

}  // namespace relman::test
