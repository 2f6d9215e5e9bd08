// Who may open the agent WebSocket and fetch packages: only holders of an agent certificate
// from the relman agent CA, whose hello names the agent id in their certificate.
#include <gtest/gtest.h>

#include "certs/ca.hpp"
#include "certs/tls_context.hpp"
#include "protocol/messages.hpp"
#include "protocol/wss_client.hpp"
#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

class AgentLinkTest : public ::testing::Test {
 protected:
  AgentLinkTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}
  void SetUp() override { controller.start(); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  // Connects a WSS client with `tls` and returns the outcome of connect + hello + first read.
  Result<std::string> try_link(std::shared_ptr<asio::ssl::context> tls, const std::string& id) {
    asio::io_context ioc;
    Result<std::string> out = fail("test.not_run", "");
    asio::co_spawn(
        ioc,
        [&]() -> awaitable<void> {
          protocol::WssClient client(ioc.get_executor(), tls);
          const protocol::Endpoint endpoint{"127.0.0.1", controller.port()};
          const std::string target = "/api/v1/agent";
          auto c = co_await client.connect(endpoint, target);
          if (!c) {
            out = fail(c.error());
            co_return;
          }
          protocol::Hello hello{id, "test", {1}};
          const auto hello_text = protocol::encode_message(hello);
          if (auto s = co_await client.send(hello_text); !s) {
            out = fail(s.error());
            co_return;
          }
          out = co_await client.read();
        },
        asio::detached);
    ioc.run_for(std::chrono::seconds(20));
    return out;
  }

  std::shared_ptr<asio::ssl::context> agent_tls(const std::string& id) {
    auto [crt, key] = pki.agent_cert(id);
    return *pki::make_client_context(pki::ClientTlsFiles{pki.ca_cert(), crt, key});
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
};

TEST_F(AgentLinkTest, AgentWithCertificateIsWelcomed) {
  auto r = try_link(agent_tls("edge-01"), "edge-01");
  ASSERT_TRUE(r) << r.error().describe();
  auto msg = protocol::decode_message(*r);
  ASSERT_TRUE(msg);
  EXPECT_TRUE(std::holds_alternative<protocol::HelloAck>(*msg)) << *r;
}

TEST_F(AgentLinkTest, ClientWithoutCertificateCannotOpenTheAgentSocket) {
  auto r = try_link(controller.anonymous_tls(), "edge-01");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ws.handshake_failed") << r.error().describe();
  EXPECT_NE(r.error().message.find("401"), std::string::npos) << r.error().describe();
  EXPECT_NE(controller.log().find("no agent client certificate"), std::string::npos);
}

TEST_F(AgentLinkTest, CertificateFromAnotherCaIsRefusedAtTheHandshake) {
  TestPki other(tmp / "other-pki");
  auto [crt, key] = other.agent_cert("edge-01");
  // Trust the real controller's CA, but present a certificate the controller does not trust.
  auto tls = *pki::make_client_context(pki::ClientTlsFiles{pki.ca_cert(), crt, key});
  auto r = try_link(tls, "edge-01");
  ASSERT_FALSE(r);
  // TLS 1.3: the refusal may surface at the handshake or on the first read.
  EXPECT_TRUE(r.error().code == "ws.tls_failed" || r.error().code == "ws.handshake_failed" ||
              r.error().code == "ws.read_failed")
      << r.error().describe();
  EXPECT_TRUE(wait_until([&] { return controller.log().find("refused") != std::string::npos; }))
      << controller.log();
}

TEST_F(AgentLinkTest, HelloMustNameTheCertificatesAgent) {
  auto r = try_link(agent_tls("edge-01"), "edge-02");
  ASSERT_TRUE(r) << r.error().describe();
  auto msg = protocol::decode_message(*r);
  ASSERT_TRUE(msg);
  auto* e = std::get_if<protocol::ErrorMessage>(&*msg);
  ASSERT_NE(e, nullptr) << *r;
  EXPECT_EQ(e->code, "agent.id_mismatch");
  auto host = controller.api("GET", "/api/v1/hosts/edge-02");
  EXPECT_EQ(host.status, 404);
}

TEST_F(AgentLinkTest, AgentThatNeverSaysHelloIsDisconnected) {
  controller.stop();
  controller.config_overrides()["hello_timeout_seconds"] = 1;
  controller.start();
  asio::io_context ioc;
  Result<std::string> out = fail("test.not_run", "");
  auto started = std::chrono::steady_clock::now();
  auto tls = agent_tls("quiet-01");
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        protocol::WssClient client(ioc.get_executor(), tls);
        const protocol::Endpoint endpoint{"127.0.0.1", controller.port()};
        const std::string target = "/api/v1/agent";
        if (auto c = co_await client.connect(endpoint, target); !c) {
          out = fail(c.error());
          co_return;
        }
        out = co_await client.read();  // no hello sent: the controller must hang up
      },
      asio::detached);
  ioc.run_for(std::chrono::seconds(20));
  ASSERT_FALSE(out) << "the controller kept a silent connection open";
  EXPECT_NE(out.error().code, "test.not_run");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  EXPECT_TRUE(
      wait_until([&] { return controller.log().find("no hello in time") != std::string::npos; }));
}

TEST_F(AgentLinkTest, PackageDownloadNeedsAnAgentCertificate) {
  protocol::HttpsClient client(controller.anonymous_tls(), {"127.0.0.1", controller.port()});
  protocol::HttpRequest req;
  req.target = "/api/v1/agent/packages/" + std::string(64, 'a');
  auto r = client.request(req);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("agent.certificate_required"), std::string::npos);
}

TEST_F(AgentLinkTest, AgentProcessWithForeignCertificateNeverRegisters) {
  TestPki other(tmp / "other-pki");
  AgentProcess a(tmp / "rogue", pki, "rogue-01", controller);
  auto [crt, key] = other.agent_cert("rogue-01");
  a.config()["tls"]["cert"] = crt.string();
  a.config()["tls"]["key"] = key.string();
  a.start();
  ASSERT_TRUE(wait_until([&] { return a.log().find("controller link down") != std::string::npos; }))
      << a.log();
  EXPECT_TRUE(a.running()) << "the agent keeps retrying instead of exiting";
  EXPECT_EQ(controller.api("GET", "/api/v1/hosts/rogue-01").status, 404);
}

TEST_F(AgentLinkTest, PackageDownloadResumesWithARangeRequest) {
  auto pkg = make_package(tmp / "big.rpkg", "big", "1.0.0",
                          {{"blob", std::string(3 << 20, 'z')}, {"small", "s"}}, &pki.publisher());
  auto up = controller.upload(pkg);
  ASSERT_EQ(up.status, 201) << up.text;
  protocol::HttpsClient client(agent_tls("edge-01"), {"127.0.0.1", controller.port()});
  const std::string target = "/api/v1/agent/packages/" + up.body["sha256"].get<std::string>();
  // Not ordered to install it: refused.
  auto unordered = client.download(target, {}, tmp / "x", 10 << 20, nullptr);
  ASSERT_FALSE(unordered);
  EXPECT_EQ(unordered.error().code, "http.status_403") << unordered.error().describe();
  EXPECT_NE(unordered.error().message.find("no unfinished order"), std::string::npos);
  auto rel = controller.api("POST", "/api/v1/releases", nlohmann::json{{"title", "t"}});
  auto dep = controller.api(
      "POST", "/api/v1/releases/" + std::to_string(rel.body["id"].get<int>()) + "/deployments",
      nlohmann::json{{"package_id", up.body["id"]}, {"hosts", {"edge-01"}}});
  ASSERT_EQ(dep.status, 201) << dep.text;

  const std::string whole = read_file(pkg);
  const std::size_t cut = whole.size() / 3;
  write_file(tmp / "part", whole.substr(0, cut));  // what an interrupted download left

  std::uint64_t first_offset = UINT64_MAX, streamed = 0;
  auto r = client.download("/api/v1/agent/packages/" + up.body["sha256"].get<std::string>(), {},
                           tmp / "part", whole.size(), nullptr,
                           [&](std::uint64_t offset, std::string_view bytes) {
                             if (first_offset == UINT64_MAX) first_offset = offset;
                             streamed += bytes.size();
                           });
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, whole.size());
  EXPECT_EQ(first_offset, cut) << "resumed, not restarted";
  EXPECT_EQ(streamed, whole.size() - cut);
  EXPECT_TRUE(read_file(tmp / "part") == whole);

  // A range past the end is refused with its own code.
  protocol::HttpRequest past;
  past.target = target;
  past.headers["range"] = "bytes=" + std::to_string(whole.size() + 10) + "-";
  auto refused = client.request(past);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 416);
  EXPECT_NE(refused->body.find("request.range_invalid"), std::string::npos);
}

}  // namespace
TEST_F(AgentLinkTest, ARevokedPackageCannotBeDownloaded) {
  auto pkg = make_package(tmp / "bad.rpkg", "bad", "1.0.0", {{"f", "x"}}, &pki.publisher());
  auto up = controller.upload(pkg);
  ASSERT_EQ(up.status, 201) << up.text;
  auto rel = controller.api("POST", "/api/v1/releases", nlohmann::json{{"title", "t"}});
  auto dep = controller.api(
      "POST", "/api/v1/releases/" + std::to_string(rel.body["id"].get<int>()) + "/deployments",
      nlohmann::json{{"package_id", up.body["id"]}, {"hosts", {"edge-01"}}});
  ASSERT_EQ(dep.status, 201) << dep.text;
  protocol::HttpsClient client(agent_tls("edge-01"), {"127.0.0.1", controller.port()});
  const std::string target = "/api/v1/agent/packages/" + up.body["sha256"].get<std::string>();
  auto before = client.download(target, {}, tmp / "ordered", 10 << 20, nullptr);
  ASSERT_TRUE(before) << "ordered: the agent may fetch it: " << before.error().describe();

  auto revoke = controller.api(
      "POST", "/api/v1/packages/" + std::to_string(up.body["id"].get<int>()) + "/transitions",
      nlohmann::json{{"action", "revoke"}, {"reason", "signed with a leaked key"}});
  ASSERT_EQ(revoke.status, 200) << revoke.text;
  auto refused = client.download(target, {}, tmp / "x", 10 << 20, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "http.status_403") << refused.error().describe();
  EXPECT_NE(refused.error().message.find("revoked: signed with a leaked key"), std::string::npos)
      << refused.error().message;
}

}  // namespace relman::test
