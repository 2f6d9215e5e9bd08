#include "controller/cmdb/lifecycle.hpp"

#include <gtest/gtest.h>

namespace relman::controller::cmdb {
namespace {

TEST(CiLifecycle, AllowsTheDocumentedMoves) {
  EXPECT_TRUE(check_stage_transition("development", "homologation"));
  EXPECT_TRUE(check_stage_transition("development", "production"));
  EXPECT_TRUE(check_stage_transition("homologation", "production"));
  EXPECT_TRUE(check_stage_transition("homologation", "development"));
  EXPECT_TRUE(check_stage_transition("production", "in_store"));
  EXPECT_TRUE(check_stage_transition("in_store", "production"));
  EXPECT_TRUE(check_stage_transition("production", "retired"));
  EXPECT_TRUE(check_stage_transition("production", "production"));  // no move
}

TEST(CiLifecycle, RefusesIllegalMovesListingTheAllowedOnes) {
  auto r = check_stage_transition("development", "in_store");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.illegal_stage_transition");
  EXPECT_NE(r.error().message.find("allowed: homologation, production, retired"), std::string::npos)
      << r.error().message;

  r = check_stage_transition("retired", "production");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.illegal_stage_transition");
  EXPECT_NE(r.error().message.find("none"), std::string::npos);
  EXPECT_TRUE(allowed_transitions("retired").empty());
}

TEST(CiLifecycle, RefusesUnknownStages) {
  auto r = check_stage_transition("production", "live");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.invalid_stage");
  EXPECT_FALSE(valid_stage("Production"));
  EXPECT_TRUE(allowed_transitions("live").empty());
}

TEST(CiLifecycle, NewCisStartAnywhereButRetired) {
  EXPECT_TRUE(check_initial_stage("development"));
  EXPECT_TRUE(check_initial_stage("in_store"));
  auto r = check_initial_stage("retired");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.invalid_stage");
  EXPECT_FALSE(check_initial_stage("nowhere").has_value());
}

}  // namespace
}  // namespace relman::controller::cmdb
