#include "controller/rollout/dependency_order.hpp"

#include <gtest/gtest.h>

namespace relman::controller::rollout {
namespace {

using Ids = std::vector<std::string>;
using Indexes = std::vector<std::size_t>;

TEST(DependencyOrder, HostsWithoutRelationshipsAreAllTierZero) {
  auto order = order_by_dependencies({"a", "b", "c"}, {});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(order->after, (std::vector<Indexes>{{}, {}, {}}));
}

TEST(DependencyOrder, AHostComesAfterWhatItDependsOn) {
  // app depends on db, web on app and cache.
  auto order = order_by_dependencies({"app", "cache", "db", "web"},
                                     {{"app", "db"}, {"web", "app"}, {"web", "cache"}});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier, (std::vector<std::int64_t>{1, 0, 0, 2}));
  EXPECT_EQ(order->after[0], (Indexes{2}));     // app after db
  EXPECT_EQ(order->after[3], (Indexes{0, 1}));  // web after app and cache
  EXPECT_TRUE(order->after[1].empty());
}

TEST(DependencyOrder, OrderPassesThroughHostsOutsideTheTarget) {
  // web -> lb (not a target) -> db: web still waits for db, and only one tier up.
  auto order = order_by_dependencies({"db", "web"}, {{"web", "lb"}, {"lb", "db"}});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(order->after[1], (Indexes{0}));
}

TEST(DependencyOrder, RelationshipsToHostsOutsideTheTargetAloneDoNotOrder) {
  auto order = order_by_dependencies({"a", "b"}, {{"a", "x"}, {"y", "b"}});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier, (std::vector<std::int64_t>{0, 0}));
}

TEST(DependencyOrder, ACycleIsRefusedAndNamed) {
  auto order =
      order_by_dependencies({"a", "b", "c", "d"}, {{"b", "c"}, {"c", "d"}, {"d", "b"}, {"a", "b"}});
  ASSERT_FALSE(order.has_value());
  EXPECT_EQ(order.error().code, "plan.dependency_cycle");
  EXPECT_EQ(order.error().context, "b -> c -> d -> b");
  EXPECT_NE(order.error().message.find("b -> c -> d -> b"), std::string::npos);
}

TEST(DependencyOrder, ACycleThroughAHostOutsideTheTargetIsRefused) {
  auto order = order_by_dependencies({"a", "b"}, {{"a", "x"}, {"x", "b"}, {"b", "a"}});
  ASSERT_FALSE(order.has_value());
  EXPECT_EQ(order.error().code, "plan.dependency_cycle");
  EXPECT_EQ(order.error().context, "a -> x -> b -> a");
}

TEST(DependencyOrder, AHostThatDependsOnItselfIsACycle) {
  auto order = order_by_dependencies({"a"}, {{"a", "a"}});
  ASSERT_FALSE(order.has_value());
  EXPECT_EQ(order.error().context, "a -> a");
}

TEST(DependencyOrder, ACycleAmongOtherHostsOnlyIsIgnored) {
  auto order = order_by_dependencies({"a"}, {{"x", "y"}, {"y", "x"}, {"a", "x"}});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier, (std::vector<std::int64_t>{0}));
}

TEST(DependencyOrder, RepeatedRelationshipsCountOnce) {
  auto order = order_by_dependencies({"a", "b"}, {{"b", "a"}, {"b", "a"}});
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->after[1], (Indexes{0}));
  EXPECT_EQ(order->tier[1], 1);
}

TEST(DependencyOrder, ALongChainGetsOneTierPerLink) {
  Ids targets;
  std::vector<Dependency> deps;
  for (int i = 0; i < 100; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "h%03d", i);
    targets.push_back(name);
    if (i > 0)
      deps.push_back(
          {targets[static_cast<std::size_t>(i)], targets[static_cast<std::size_t>(i - 1)]});
  }
  auto order = order_by_dependencies(targets, deps);
  ASSERT_TRUE(order.has_value()) << order.error().describe();
  EXPECT_EQ(order->tier.back(), 99);
}

}  // namespace
}  // namespace relman::controller::rollout
