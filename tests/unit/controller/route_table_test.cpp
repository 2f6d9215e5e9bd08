#include "controller/api/route_table.hpp"

#include <gtest/gtest.h>

#include "controller/api/responses.hpp"

namespace relman::controller {
namespace {

RouteHandler answer(int status) {
  return [status](ApiCall&) { return error_response(status, "test", "test"); };
}

TEST(RouteTable, MatchesLiteralAndParameterSegments) {
  RouteTable t;
  t.add("GET", "/releases", Access::kUser, answer(200));
  t.add("GET", "/releases/{id}/deployments", Access::kUser, answer(201));
  auto m = t.match("GET", {"releases", "42", "deployments"});
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.route->pattern, "/releases/{id}/deployments");
  EXPECT_EQ(m.params.at("id"), "42");
  EXPECT_EQ(t.match("GET", {"releases"}).route->pattern, "/releases");
}

TEST(RouteTable, UnknownPathsAndEmptyParametersDoNotMatch) {
  RouteTable t;
  t.add("GET", "/agent/packages/{sha}", Access::kAgent, answer(200));
  EXPECT_EQ(t.match("GET", {"agent", "packages", ""}).handler, nullptr);
  EXPECT_EQ(t.match("GET", {"agent", "packages"}).handler, nullptr);
  EXPECT_EQ(t.match("GET", {"agent", "packages", "ab", "cd"}).handler, nullptr);
  EXPECT_TRUE(t.match("GET", {"nothing"}).allowed.empty());
}

TEST(RouteTable, WrongMethodListsTheAllowedOnesWithoutHead) {
  RouteTable t;
  t.add("GET", "/packages", Access::kUser, answer(200));
  t.add("POST", "/packages", Access::kUser, answer(201));
  t.add("HEAD", "/packages", Access::kUser, answer(200));
  auto m = t.match("DELETE", {"packages"});
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed, "GET, POST");
}

TEST(RouteTable, RegisteringARouteTwiceIsAProgrammingError) {
  RouteTable t;
  t.add("GET", "/health", Access::kPublic, answer(200));
  EXPECT_THROW(t.add("GET", "/health", Access::kPublic, answer(200)), std::logic_error);
  EXPECT_THROW(t.add("GET", "health", Access::kPublic, answer(200)), std::logic_error);
  EXPECT_EQ(t.routes().size(), 1u);
}

TEST(ApiErrors, StatusFollowsTheCode) {
  EXPECT_EQ(status_for(Error{"auth.forbidden", "", ""}), 403);
  EXPECT_EQ(status_for(Error{"release.not_found", "", ""}), 404);
  EXPECT_EQ(status_for(Error{"dml.version_exists", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"user.exists", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"release.illegal_transition", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"release.version_conflict", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"request.invalid_query", "", ""}), 400);
  EXPECT_EQ(status_for(Error{"store.sqlite", "", ""}), 500);
  EXPECT_EQ(status_for(Error{"cmdb.ci_not_found", "", ""}), 404);
  EXPECT_EQ(status_for(Error{"cmdb.class_exists", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"cmdb.version_conflict", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"cmdb.illegal_stage_transition", "", ""}), 409);
  EXPECT_EQ(status_for(Error{"cmdb.invalid_attribute", "", ""}), 400);
  EXPECT_EQ(status_for(Error{"extract.destination_exists", "", ""}), 400);
}

TEST(ApiErrors, ContextIsPassedOn) {
  auto r = from_error(Error{"release.illegal_transition", "no", "authorize, cancel"});
  EXPECT_EQ(r.status, 409);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["context"], "authorize, cancel");
}

}  // namespace
}  // namespace relman::controller
