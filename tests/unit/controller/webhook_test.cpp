// Webhook configuration, signatures and the retry schedule.
#include "controller/events/webhook.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

class WebhookConfigTest : public ::testing::Test {
 protected:
  WebhookConfigTest() { test::write_file(tmp / "s", "0123456789abcdef0123\n"); }
  Result<std::vector<WebhookConfig>> parse(const nlohmann::json& array) {
    return parse_webhook_configs(array, [&](const std::string& p) { return tmp / p; });
  }
  nlohmann::json hook(const std::string& url) {
    return {{"name", "itsm"}, {"url", url}, {"secret_file", "s"}};
  }
  test::TempDir tmp;
};

TEST_F(WebhookConfigTest, SplitsTheUrlAndReadsTheSecret) {
  auto r = parse(nlohmann::json::array({hook("https://hooks.example:8443/in/relman?x=1")}));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 1u);
  const auto& w = r->front();
  EXPECT_EQ(w.host, "hooks.example");
  EXPECT_EQ(w.port, 8443);
  EXPECT_EQ(w.target, "/in/relman?x=1");
  EXPECT_EQ(w.secret, "0123456789abcdef0123") << "the trailing newline is not part of it";
  auto v6 = parse(nlohmann::json::array({hook("https://[::1]")}));
  ASSERT_TRUE(v6) << v6.error().describe();
  EXPECT_EQ(v6->front().host, "[::1]");
  EXPECT_EQ(v6->front().port, 443);
  EXPECT_EQ(v6->front().target, "/");
}

TEST_F(WebhookConfigTest, RefusesWhatCannotBeSafe) {
  for (const auto* url :
       {"http://hooks.example/x", "https://user:pw@hooks.example/", "https://:443/", "https://h:0/",
        "https://h:70000/", "https://h:1x/", "https://[::1/", "https://h/a b"}) {
    auto r = parse(nlohmann::json::array({hook(url)}));
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, "config.invalid") << url;
    EXPECT_EQ(r.error().context, "webhooks[0].url") << url;
  }
  auto dup = parse(nlohmann::json::array({hook("https://a/"), hook("https://b/")}));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().context, "webhooks[1].name");
  auto missing = hook("https://a/");
  missing["secret_file"] = "nope";
  auto no_secret = parse(nlohmann::json::array({missing}));
  ASSERT_FALSE(no_secret);
  EXPECT_EQ(no_secret.error().context, "webhooks[0].secret_file");
  auto not_object = parse(nlohmann::json::array({"https://a/"}));
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().context, "webhooks[0]");
}

TEST_F(WebhookConfigTest, ReadsAndChecksTheRecipientFilter) {
  auto h = hook("https://a/");
  h["groups"] = {"ops", "cab", "ops"};
  h["users"] = {"rita.s"};
  auto r = parse(nlohmann::json::array({h}));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->front().groups, (std::set<std::string>{"cab", "ops"}));
  EXPECT_EQ(r->front().users, (std::set<std::string>{"rita.s"}));
  EXPECT_TRUE(parse(nlohmann::json::array({hook("https://a/")}))->front().groups.empty());
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* context;
  };
  for (const auto& c : std::vector<Case>{{"groups", "ops", "webhooks[0].groups"},
                                         {"groups", nlohmann::json::array(), "webhooks[0].groups"},
                                         {"groups", {"ops", "o p s"}, "webhooks[0].groups[1]"},
                                         {"users", {1}, "webhooks[0].users[0]"},
                                         {"users", {""}, "webhooks[0].users[0]"}}) {
    auto bad = hook("https://a/");
    bad[c.key] = c.value;
    auto refused = parse(nlohmann::json::array({bad}));
    ASSERT_FALSE(refused) << bad.dump();
    EXPECT_EQ(refused.error().code, "config.invalid") << bad.dump();
    EXPECT_EQ(refused.error().context, c.context) << bad.dump();
  }
}

TEST(WebhookSignatureTest, IsTheHmacOfTimestampAndBody) {
  // HMAC-SHA256("key", "1700000000.{}"), computed independently:
  // printf '1700000000.{}' | openssl dgst -sha256 -hmac key
  EXPECT_EQ(webhook_signature("key", 1700000000, "{}"),
            "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
  EXPECT_NE(webhook_signature("key", 1700000000, "{}"), webhook_signature("key", 1700000001, "{}"));
  EXPECT_NE(webhook_signature("key", 1700000000, "{}"), webhook_signature("kez", 1700000000, "{}"));
}

TEST(WebhookBackoffTest, DoublesUpToFiveMinutes) {
  EXPECT_EQ(webhook_backoff(1), std::chrono::seconds(1));
  EXPECT_EQ(webhook_backoff(2), std::chrono::seconds(2));
  EXPECT_EQ(webhook_backoff(4), std::chrono::seconds(8));
  EXPECT_EQ(webhook_backoff(9), std::chrono::seconds(256));
  EXPECT_EQ(webhook_backoff(10), std::chrono::seconds(300));
  EXPECT_EQ(webhook_backoff(100), std::chrono::seconds(300));
}

}  // namespace
}  // namespace relman::controller
