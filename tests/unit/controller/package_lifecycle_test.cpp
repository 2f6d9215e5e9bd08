// The DML lifecycle's rules and its request body, without a store.
#include "controller/dml/package_lifecycle.hpp"

#include <gtest/gtest.h>

namespace relman::controller {
namespace {

using nlohmann::json;

TEST(PackageLifecycle, MovesForwardOrToRevokedOnly) {
  EXPECT_EQ(next_package_status("uploaded", "test").value(), "tested");
  EXPECT_EQ(next_package_status("tested", "authorize").value(), "authorized");
  for (const char* s : {"uploaded", "tested", "authorized"}) {
    EXPECT_EQ(next_package_status(s, "revoke").value(), "revoked") << s;
  }
  EXPECT_EQ(allowed_package_actions("uploaded"), (std::vector<std::string>{"test", "revoke"}));
  EXPECT_EQ(allowed_package_actions("authorized"), (std::vector<std::string>{"revoke"}));
  EXPECT_TRUE(allowed_package_actions("revoked").empty());
}

TEST(PackageLifecycle, IllegalStepsNameWhatIsAllowed) {
  auto skip = next_package_status("uploaded", "authorize");
  ASSERT_FALSE(skip);
  EXPECT_EQ(skip.error().code, "package.illegal_transition");
  EXPECT_NE(skip.error().message.find("allowed: test, revoke"), std::string::npos)
      << skip.error().message;
  auto twice = next_package_status("authorized", "authorize");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().context, "revoke");
  auto final_state = next_package_status("revoked", "test");
  ASSERT_FALSE(final_state);
  EXPECT_EQ(final_state.error().context, "none");
  auto unknown = next_package_status("uploaded", "approve");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "package.unknown_action");
}

TEST(PackageLifecycle, ParsesTheBodyStrictly) {
  auto ok = parse_package_transition(json{{"action", "test"}, {"reason", "suite green"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->action, "test");
  EXPECT_EQ(ok->reason, "suite green");
  struct Case {
    json body;
    std::string code;
  };
  for (const auto& c : std::vector<Case>{
           {json::object(), "protocol.missing_field"},
           {json{{"action", 3}}, "protocol.wrong_type"},
           {json{{"action", "test"}, {"colour", "red"}}, "protocol.unknown_field"},
           {json{{"action", "revoke"}}, "package.reason_required"},
           {json{{"action", "revoke"}, {"reason", std::string(2001, 'r')}}, "protocol.too_long"},
       }) {
    auto r = parse_package_transition(c.body);
    ASSERT_FALSE(r) << c.body.dump();
    EXPECT_EQ(r.error().code, c.code) << c.body.dump();
  }
}

}  // namespace
}  // namespace relman::controller
