// The planner over a real store of each backend: the CMDB's groups join the request's, and the
// request a rollout keeps (plan_known_hosts' `effective`) reads back, so its runner can check
// windows at dispatch.
#include "controller/rollout/plan_store.hpp"

#include <gtest/gtest.h>

#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

class PlanStoreCmdbTest : public StoreBackendTest {
 protected:
  void part_of(const std::string& agent, const std::string& service) {
    cmdb::CiDraft d;
    d.class_name = "service";
    d.state.name = service;
    auto s = store->create_ci(d, "alice");
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_TRUE(store->create_relationship(host_ci(agent), "part_of", s->id, "alice"));
  }
};

TEST_P(PlanStoreCmdbTest, TheKeptRequestHasTheCmdbGroupsOfItsTargetsAndReadsBack) {
  for (const char* agent : {"a1", "a2"}) ASSERT_TRUE(store->host_connected(agent, 100));
  part_of("a1", "night-shift");
  part_of("a2", "night-shift");
  part_of("a1", std::string(150, 'n'));  // a CI name longer than a window can name
  auto request = rollout::plan_request_from_json(
      json{{"target", {{"hosts", {"a1"}}}},
           {"policy", {{"batches", {{"percent", 100}}}}},
           {"groups", {{{"name", "mine"}, {"hosts", {"a1", "a2"}}}}}});
  ASSERT_TRUE(request) << request.error().describe();

  rollout::PlanRequest kept;
  auto plan = rollout::plan_known_hosts(*store, *request, 1000, &kept);
  ASSERT_TRUE(plan) << plan.error().describe();
  EXPECT_EQ(plan->host_count, 1);
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& g : kept.groups) groups[g.name] = g.hosts;
  EXPECT_EQ(groups, (std::map<std::string, std::vector<std::string>>{{"mine", {"a1"}},
                                                                     {"night-shift", {"a1"}}}));
  auto again = rollout::plan_request_from_json(rollout::to_json(kept));
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(rollout::groups_of(*again, "a1"), (std::vector<std::string>{"mine", "night-shift"}));
}

RELMAN_INSTANTIATE_BACKENDS(PlanStoreCmdbTest);

}  // namespace
}  // namespace relman::controller
