#include "controller/cmdb/relationships.hpp"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

namespace relman::controller::cmdb {
namespace {

TEST(CiRelationships, AllowsSensiblePairs) {
  EXPECT_TRUE(check_relationship("runs_on", "service", "host"));
  EXPECT_TRUE(check_relationship("runs_on", "software", "host"));
  EXPECT_TRUE(check_relationship("depends_on", "service", "service"));
  EXPECT_TRUE(check_relationship("depends_on", "host", "network"));
  EXPECT_TRUE(check_relationship("installed_on", "software", "host"));
  EXPECT_TRUE(check_relationship("part_of", "hardware", "host"));
  EXPECT_TRUE(check_relationship("part_of", "host", "service"));
  EXPECT_TRUE(check_relationship("connected_to", "host", "network"));
}

TEST(CiRelationships, RefusesPairsThatMakeNoSense) {
  for (auto [type, from, to] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"runs_on", "host", "software"},
           {"installed_on", "service", "host"},
           {"part_of", "host", "hardware"},
           {"depends_on", "network", "host"},
           {"connected_to", "service", "network"}}) {
    auto r = check_relationship(type, from, to);
    ASSERT_FALSE(r.has_value()) << type << " " << from << " " << to;
    EXPECT_EQ(r.error().code, "cmdb.invalid_relationship");
    EXPECT_EQ(r.error().context, std::string(from) + " " + type + " " + to);
  }
}

TEST(CiRelationships, RefusesUnknownTypes) {
  auto r = check_relationship("loves", "host", "host");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.invalid_relationship");
  EXPECT_EQ(r.error().context, "loves");
}

TEST(CiRelationships, UserDefinedClassesTakeAnyType) {
  EXPECT_TRUE(check_relationship("runs_on", "database", "host"));
  EXPECT_TRUE(check_relationship("part_of", "host", "rack"));
  EXPECT_FALSE(check_relationship("hosts", "database", "host").has_value());
}

TEST(CiRelationships, ChangeDirectionPerType) {
  EXPECT_TRUE(change_flows_to_from("depends_on"));
  EXPECT_FALSE(change_flows_from_to("depends_on", true));
  EXPECT_TRUE(change_flows_from_to("part_of", false));
  EXPECT_FALSE(change_flows_to_from("part_of"));
  EXPECT_TRUE(change_flows_to_from("runs_on") && change_flows_to_from("installed_on"));
  // The host is affected by a change made to what runs on it, not by that thing being
  // affected by something else.
  EXPECT_TRUE(change_flows_from_to("runs_on", true));
  EXPECT_FALSE(change_flows_from_to("runs_on", false));
  EXPECT_TRUE(change_flows_from_to("installed_on", true));
  EXPECT_FALSE(change_flows_from_to("installed_on", false));
  EXPECT_TRUE(change_flows_to_from("connected_to"));
  EXPECT_FALSE(change_flows_from_to("connected_to", true));
}

}  // namespace
}  // namespace relman::controller::cmdb
