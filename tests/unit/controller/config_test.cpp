#include "controller/config.hpp"

#include <gtest/gtest.h>

#include "controller/auth/passwords.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

using relman::test::TempDir;
using relman::test::write_file;

constexpr const char* kMinimal = R"({
  "data_dir": "data",
  "tls": {"cert": "c.crt", "key": "c.key", "client_ca": "/etc/ca.crt"},
  "order_signing_key": "order.key",
  "trust": "trust.json"
})";

TEST(ControllerConfig, ResolvesRelativePathsAgainstTheFile) {
  TempDir tmp;
  write_file(tmp / "controller.json", kMinimal);
  auto c = load_controller_config(tmp / "controller.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->data_dir, tmp.path() / "data");
  EXPECT_EQ(c->client_ca, "/etc/ca.crt");
  EXPECT_EQ(c->port, 8443);
  EXPECT_EQ(c->database(), tmp.path() / "data" / "relman.db");
  EXPECT_EQ(c->host_stale_after_seconds, 86400);
}

TEST(ControllerConfig, HostStaleAfterIsBounded) {
  TempDir tmp;
  write_file(tmp / "c.json",
             std::string(kMinimal).replace(1, 0, R"("host_stale_after_seconds": 600,)"));
  auto c = load_controller_config(tmp / "c.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->host_stale_after_seconds, 600);
  write_file(tmp / "c.json",
             std::string(kMinimal).replace(1, 0, R"("host_stale_after_seconds": 0,)"));
  auto r = load_controller_config(tmp / "c.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.out_of_range");
  EXPECT_EQ(r.error().context, "host_stale_after_seconds");
}

TEST(ControllerConfig, RefusesUnknownKeysAndBadValues) {
  TempDir tmp;
  struct Case {
    std::string text, code, context;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"data_dir": "d", "colour": 1})", "protocol.missing_field", "tls"},
           {std::string(kMinimal).replace(1, 0, R"("prot": 1,)"), "protocol.unknown_field", "prot"},
           {std::string(kMinimal).replace(1, 0, R"("port": 70000,)"), "protocol.out_of_range",
            "port"},
           {"not json", "protocol.malformed_json", "config"},
       }) {
    write_file(tmp / "c.json", c.text);
    auto r = load_controller_config(tmp / "c.json");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().context, c.context) << c.text;
  }
  auto missing = load_controller_config(tmp / "absent.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "config.read_failed");
}

TEST(Passwords, HashVerifiesOnlyTheRightPassword) {
  auto h = hash_password("s3cret");
  ASSERT_TRUE(h);
  EXPECT_TRUE(verify_password("s3cret", *h));
  EXPECT_FALSE(verify_password("s3cret ", *h));
  EXPECT_NE(*hash_password("s3cret"), *h) << "salted";
  EXPECT_FALSE(verify_password("s3cret", "scrypt$1$1$1$zz$zz"));
  EXPECT_FALSE(verify_password("s3cret", "plain"));
}

TEST(Passwords, TokensAreRandomAndStoredHashed) {
  auto a = new_session_token(), b = new_session_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(token_hash(a).size(), 64u);
  EXPECT_NE(token_hash(a), a);
}

}  // namespace
}  // namespace relman::controller
