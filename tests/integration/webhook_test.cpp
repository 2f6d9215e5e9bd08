// Webhooks as an ITSM integration meets them: a real HTTPS receiver (Python's http.server with
// a certificate from the test CA) gets each audited action as a signed JSON POST; failures
// are retried with backoff; deliveries missed while the receiver was down arrive after a
// controller restart, each once; a bad webhook configuration stops the controller with one
// line that names the key.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

const std::string kSecret = "0123456789abcdef-webhook-secret";

std::vector<json> read_log(const std::filesystem::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(j);
  }
  return out;
}

std::string hmac_hex(const std::string& key, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  std::ostringstream hex;
  for (unsigned i = 0; i < len; ++i) {
    hex << "0123456789abcdef"[mac[i] >> 4] << "0123456789abcdef"[mac[i] & 0xf];
  }
  return hex.str();
}

// True when the request's X-Relman-Signature is the HMAC of "<t>.<body>" with kSecret.
bool signature_valid(const json& request) {
  auto sig = request["headers"].value("x-relman-signature", "");
  auto comma = sig.find(",v1=");
  if (!sig.starts_with("t=") || comma == std::string::npos) return false;
  auto t = sig.substr(2, comma - 2);
  return sig.substr(comma + 4) == hmac_hex(kSecret, t + "." + request.value("body", ""));
}

class WebhookTest : public ::testing::Test {
 protected:
  WebhookTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {
    write_file(tmp / "webhook.secret", kSecret + "\n");
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- controller log ----\n" << controller.log() << "\n";
      std::cerr << "---- receiver log ----\n" << receiver.log() << "\n";
    }
  }

  // Starts the receiver (on `port`, 0 = any) and returns its port.
  std::uint16_t start_receiver(int fail_first, std::uint16_t port = 0) {
    auto port_file = tmp / "receiver.port";
    std::filesystem::remove(port_file);
    receiver.start(
        {"/usr/bin/python3", std::string(RELMAN_SOURCE_DIR) + "/tests/fixtures/webhook/receiver.py",
         "--cert", pki.server_cert().string(), "--key", pki.server_key().string(), "--log",
         log.string(), "--port-file", port_file.string(), "--port", std::to_string(port),
         "--fail-first", std::to_string(fail_first)},
        tmp / "receiver.out");
    std::string text;
    EXPECT_TRUE(wait_until(
        [&] {
          std::ifstream in(port_file);
          return static_cast<bool>(std::getline(in, text)) && !text.empty();
        },
        std::chrono::seconds(20)))
        << "the webhook receiver did not start: " << receiver.log();
    return text.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(text));
  }

  void configure(std::uint16_t port, const std::string& types = "release.*") {
    controller.config_overrides()["webhooks"] =
        json::array({{{"name", "itsm"},
                      {"url", "https://127.0.0.1:" + std::to_string(port) + "/hooks/relman"},
                      {"secret_file", (tmp / "webhook.secret").string()},
                      {"ca_file", pki.ca_cert().string()},
                      {"types", types},
                      {"timeout_seconds", 5}}});
  }

  std::int64_t create_release(const std::string& title) {
    auto r = controller.api("POST", "/api/v1/releases", json{{"title", title}});
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", std::int64_t{0});
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  Process receiver;
  std::filesystem::path log = tmp / "received.jsonl";
};

TEST_F(WebhookTest, SignedDeliveryRetriedUntilTheReceiverAccepts) {
  auto port = start_receiver(/*fail_first=*/2);
  configure(port);
  controller.start();
  auto id = create_release("shipped");
  ASSERT_TRUE(wait_until([&] { return read_log(log).size() >= 3; }, std::chrono::seconds(30)))
      << "received: " << read_log(log).size();
  auto got = read_log(log);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]["status"], 500);
  EXPECT_EQ(got[1]["status"], 500);
  EXPECT_EQ(got[2]["status"], 200);
  for (const auto& req : got) {
    EXPECT_EQ(req["path"], "/hooks/relman");
    EXPECT_TRUE(signature_valid(req)) << req.dump();
    EXPECT_EQ(req["headers"].value("x-relman-event", ""), "release.create");
    EXPECT_EQ(req["headers"].value("x-relman-delivery", ""),
              got[0]["headers"].value("x-relman-delivery", ""))
        << "a retry is the same delivery";
  }
  auto body = json::parse(got[2].value("body", ""));
  EXPECT_EQ(body.value("object_id", ""), std::to_string(id));
  EXPECT_EQ(body["detail"].value("title", ""), "shipped");
  EXPECT_NE(controller.log().find("attempt 1/10 failed: HTTP 500"), std::string::npos);
}

TEST_F(WebhookTest, StatusShowsRetriesAndTheLastErrorThenRecovery) {
  auto port = start_receiver(/*fail_first=*/2);
  configure(port);
  controller.start();
  auto idle = controller.api("GET", "/api/v1/webhooks");
  ASSERT_EQ(idle.status, 200) << idle.text;
  ASSERT_EQ(idle.body["items"].size(), 1u);
  EXPECT_EQ(idle.body["items"][0]["name"], "itsm");
  EXPECT_EQ(idle.body["items"][0]["state"], "ok");
  EXPECT_EQ(idle.body["items"][0]["delivered"], 0);
  EXPECT_EQ(idle.text.find(kSecret), std::string::npos) << "the secret must never be shown";

  create_release("watched");
  // The first attempt fails (HTTP 500) and the retry waits 1 s: the status says so.
  json during;
  ASSERT_TRUE(wait_until(
      [&] {
        during = controller.api("GET", "/api/v1/webhooks").body;
        return during["items"][0].value("failed_attempts", 0) >= 1;
      },
      std::chrono::seconds(20)))
      << during.dump();
  EXPECT_NE(during["items"][0].value("last_error", "").find("HTTP 500"), std::string::npos)
      << during.dump();
  EXPECT_GT(during["items"][0].value("last_error_at", 0), 0);

  json after;
  ASSERT_TRUE(wait_until(
      [&] {
        after = controller.api("GET", "/api/v1/webhooks").body;
        return after["items"][0].value("delivered", 0) == 1;
      },
      std::chrono::seconds(30)))
      << after.dump();
  const auto& w = after["items"][0];
  EXPECT_EQ(w["state"], "ok");
  EXPECT_EQ(w["failed_attempts"], 2);
  EXPECT_EQ(w["given_up"], 0);
  EXPECT_EQ(w["retrying_event"], 0);
  EXPECT_EQ(w["cursor"],
            std::stoll(read_log(log).back()["headers"].value("x-relman-delivery", "0")));
  EXPECT_GT(w.value("last_delivered_at", 0), 0);
}

TEST_F(WebhookTest, StatusCountsAnEventGivenUpAfterMaxAttempts) {
  auto port = start_receiver(/*fail_first=*/100);
  configure(port);
  controller.config_overrides()["webhooks"][0]["max_attempts"] = 2;
  controller.start();
  create_release("refused");
  json status;
  ASSERT_TRUE(wait_until(
      [&] {
        status = controller.api("GET", "/api/v1/webhooks").body;
        return status["items"][0].value("given_up", 0) == 1;
      },
      std::chrono::seconds(30)))
      << status.dump();
  const auto& w = status["items"][0];
  EXPECT_EQ(w["failed_attempts"], 2);
  EXPECT_EQ(w["delivered"], 0);
  EXPECT_EQ(w["state"], "ok") << "given up: later events are not held back";
  EXPECT_GT(w.value("cursor", 0), 0);
  EXPECT_NE(w.value("last_error", "").find("attempt 2: HTTP 500"), std::string::npos) << w.dump();
}

TEST_F(WebhookTest, StatusListsNothingWithoutWebhooks) {
  controller.start();
  auto r = controller.api("GET", "/api/v1/webhooks");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_TRUE(r.body["items"].empty());
}

TEST_F(WebhookTest, ATamperedBodyDoesNotVerify) {
  auto port = start_receiver(0);
  configure(port);
  controller.start();
  create_release("x");
  ASSERT_TRUE(wait_until([&] { return !read_log(log).empty(); }, std::chrono::seconds(20)));
  auto req = read_log(log).front();
  ASSERT_TRUE(signature_valid(req));
  req["body"] = req.value("body", "") + " ";
  EXPECT_FALSE(signature_valid(req));
}

TEST_F(WebhookTest, EventsMissedWhileTheReceiverWasDownArriveOnceAfterARestart) {
  // Learn a free port, then stop the receiver: the controller cannot deliver.
  auto port = start_receiver(0);
  receiver.stop();
  std::filesystem::remove(log);
  configure(port);
  controller.start();
  auto a = create_release("while down");
  ASSERT_TRUE(
      wait_until([&] { return controller.log().find("attempt 1/10 failed") != std::string::npos; },
                 std::chrono::seconds(20)));
  controller.stop();

  start_receiver(0, port);
  controller.start();
  auto b = create_release("after restart");
  ASSERT_TRUE(wait_until([&] { return read_log(log).size() >= 2; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // no third (repeated) delivery
  auto got = read_log(log);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(json::parse(got[0].value("body", "")).value("object_id", ""), std::to_string(a));
  EXPECT_EQ(json::parse(got[1].value("body", "")).value("object_id", ""), std::to_string(b));
}

TEST_F(WebhookTest, EventsTheWebhookDidNotAskForAreNotSent) {
  auto port = start_receiver(0);
  configure(port, "package.*");
  controller.start();
  create_release("not wanted");
  auto pkg = make_package(tmp / "pkgs", "app", "1.0.0", {{"bin/app", "v1"}}, &pki.publisher());
  ASSERT_EQ(controller.upload_raw(pkg).status, 201);
  ASSERT_TRUE(wait_until([&] { return !read_log(log).empty(); }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto got = read_log(log);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["headers"].value("x-relman-event", ""), "package.upload");
}

TEST_F(WebhookTest, AGroupsWebhookGetsOnlyThatGroupsNotifications) {
  auto port = start_receiver(0);
  configure(port, "release.*");
  controller.config_overrides()["webhooks"][0]["groups"] = {"ops"};
  controller.start();
  for (const char* g : {"ops", "dba"}) {
    auto r = controller.api("POST", "/api/v1/groups", json{{"name", g}});
    ASSERT_EQ(r.status, 201) << r.text;
  }
  auto theirs = controller.api("POST", "/api/v1/releases",
                               json{{"title", "for dba"}, {"executor_group", "dba"}});
  ASSERT_EQ(theirs.status, 201) << theirs.text;
  auto ours = controller.api("POST", "/api/v1/releases",
                             json{{"title", "for ops"}, {"executor_group", "ops"}});
  ASSERT_EQ(ours.status, 201) << ours.text;
  // dba's release becomes ops' business once ops subscribes to it.
  const std::string subs = "/api/v1/releases/" +
                           std::to_string(theirs.body["id"].get<std::int64_t>()) + "/subscriptions";
  ASSERT_EQ(controller.api("POST", subs, json{{"group", "ops"}}).status, 201);
  auto version = theirs.body["version"].get<std::int64_t>();
  auto moved = controller.api(
      "POST",
      "/api/v1/releases/" + std::to_string(theirs.body["id"].get<std::int64_t>()) + "/transitions",
      json{{"action", "authorize"}, {"expected_version", version}});
  ASSERT_EQ(moved.status, 200) << moved.text;
  ASSERT_TRUE(wait_until([&] { return read_log(log).size() >= 2; }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // nothing else arrives
  auto got = read_log(log);
  ASSERT_EQ(got.size(), 2u);
  auto first = json::parse(got[0].value("body", ""));
  EXPECT_EQ(first["type"], "release.create");
  EXPECT_EQ(first["detail"]["title"], "for ops");
  EXPECT_EQ(first["detail"]["notification"]["subject"],
            ours.body["number"].get<std::string>() + " registered: for ops");
  auto second = json::parse(got[1].value("body", ""));
  EXPECT_EQ(second["type"], "release.authorize");
  EXPECT_EQ(second["object_id"], std::to_string(theirs.body["id"].get<std::int64_t>()));
  EXPECT_EQ(second["detail"]["notification"]["recipients"]["groups"], json({"dba", "ops"}));
}

TEST_F(WebhookTest, BadConfigurationStopsTheControllerNamingTheKey) {
  struct Case {
    json hook;
    std::string key;
    std::string code = "config.invalid";
  };
  const std::string secret = (tmp / "webhook.secret").string();
  write_file(tmp / "short.secret", "short\n");
  std::vector<Case> cases = {
      {{{"name", "a"}, {"url", "http://127.0.0.1:1/x"}, {"secret_file", secret}},
       "webhooks[0].url"},
      {{{"name", "a"},
        {"url", "https://127.0.0.1:1/x"},
        {"secret_file", (tmp / "short.secret").string()}},
       "webhooks[0].secret_file"},
      {{{"name", "A B"}, {"url", "https://127.0.0.1:1/x"}, {"secret_file", secret}},
       "webhooks[0].name"},
      {{{"name", "a"}, {"url", "https://127.0.0.1:99999/x"}, {"secret_file", secret}},
       "webhooks[0].url"},
      {{{"name", "a"},
        {"url", "https://127.0.0.1:1/x"},
        {"secret_file", secret},
        {"types", "Bad Type"}},
       "webhooks[0].types"},
      {{{"name", "a"},
        {"url", "https://127.0.0.1:1/x"},
        {"secret_file", secret},
        {"groups", {"ops", "o p s"}}},
       "webhooks[0].groups[1]"},
      {{{"name", "a"},
        {"url", "https://127.0.0.1:1/x"},
        {"secret_file", secret},
        {"users", "rita"}},
       "webhooks[0].users"},
      {{{"name", "a"}, {"url", "https://127.0.0.1:1/x"}, {"secret_file", secret}, {"extra", 1}},
       "webhooks[0].extra",
       "protocol.unknown_field"},
  };
  for (const auto& c : cases) {
    controller.config_overrides()["webhooks"] = json::array({c.hook});
    try {
      controller.start();
      ADD_FAILURE() << "started with " << c.hook.dump();
      controller.stop();
    } catch (const std::exception& e) {
      const std::string why = e.what();
      EXPECT_NE(why.find(c.code), std::string::npos) << c.code << " in " << why;
      EXPECT_NE(why.find(c.key), std::string::npos) << c.key << " in " << why;
    }
  }
}

}  // namespace
}  // namespace relman::test
