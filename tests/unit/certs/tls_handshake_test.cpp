// Real TLS 1.3 handshakes over loopback between contexts made by make_server_context and
// make_client_context, with certificates from a fresh CA.
#include "protocol/asio.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "certs/ca.hpp"
#include "certs/tls_context.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::pki {
namespace {

namespace fs = std::filesystem;
using asio::ip::tcp;
using boost::system::error_code;
using relman::test::TempDir;
using Context = std::shared_ptr<asio::ssl::context>;

constexpr auto kHandshakeDeadline = std::chrono::seconds(20);

struct Outcome {
  bool finished = false;  // both sides completed before the deadline
  error_code server_handshake;
  error_code client_handshake;
  error_code client_read;
  std::optional<PeerIdentity> identity;
  std::string received;
};

// One connection on 127.0.0.1: the server handshakes, records the peer's identity and sends
// "hello"; the client handshakes (verifying `host`) and reads those five bytes. In TLS 1.3 a
// refused client certificate surfaces on the client's first read, so the read is part of it.
Outcome run_connection(asio::ssl::context& server_ctx, asio::ssl::context& client_ctx,
                       const std::string& host) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::ssl::stream<tcp::socket> server(ioc, server_ctx);
  asio::ssl::stream<tcp::socket> client(ioc, client_ctx);
  set_verify_host(client.native_handle(), host);

  Outcome out;
  int running = 2;
  auto side_done = [&] {
    if (--running == 0) out.finished = true;
  };
  std::array<char, 5> buf{};

  acceptor.async_accept(server.next_layer(), [&](error_code ec) {
    if (ec) {
      out.server_handshake = ec;
      return side_done();
    }
    server.async_handshake(asio::ssl::stream_base::server, [&](error_code ec) {
      out.server_handshake = ec;
      if (ec) {
        server.next_layer().close(ec);
        return side_done();
      }
      out.identity = peer_identity(server.native_handle());
      asio::async_write(server, asio::buffer("hello", 5),
                        [&](error_code, std::size_t) { side_done(); });
    });
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](error_code ec) {
    if (ec) {
      out.client_handshake = ec;
      return side_done();
    }
    client.async_handshake(asio::ssl::stream_base::client, [&](error_code ec) {
      out.client_handshake = ec;
      if (ec) {
        client.next_layer().close(ec);
        return side_done();
      }
      asio::async_read(client, asio::buffer(buf), [&](error_code ec, std::size_t n) {
        out.client_read = ec;
        out.received.assign(buf.data(), n);
        side_done();
      });
    });
  });
  ioc.run_for(kHandshakeDeadline);
  return out;
}

class TlsHandshake : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir("relman-tls-test");
    const fs::path& t = tmp_->path();
    ASSERT_TRUE(init_ca(t / "ca", "Test CA", 30));
    ASSERT_TRUE(init_ca(t / "other-ca", "Test CA", 30));  // same name, different key
    issue("ca", {CertKind::server, "controller.test", {"controller.test"}, {"127.0.0.1"}, 30},
          "server");
    issue("ca", {CertKind::agent, "web-01", {}, {}, 30}, "agent");
    issue("ca", {CertKind::client, "alice", {}, {}, 30}, "client");
    issue("other-ca", {CertKind::agent, "web-01", {}, {}, 30}, "rogue");
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static void issue(const std::string& ca, const IssueRequest& req, const std::string& stem) {
    auto r = issue_certificate(tmp_->path() / ca, req, file(stem + ".crt"), file(stem + ".key"));
    ASSERT_TRUE(r) << r.error().describe();
  }
  static fs::path file(const std::string& name) { return tmp_->path() / name; }

  static Context server_context() {
    auto ctx = make_server_context({file("server.crt"), file("server.key"), file("ca/ca.crt")});
    EXPECT_TRUE(ctx) << ctx.error().describe();
    return ctx ? *ctx : nullptr;
  }
  static Context client_context(std::optional<std::string> stem) {
    ClientTlsFiles files{file("ca/ca.crt"), std::nullopt, std::nullopt};
    if (stem) {
      files.cert = file(*stem + ".crt");
      files.key = file(*stem + ".key");
    }
    auto ctx = make_client_context(files);
    EXPECT_TRUE(ctx) << ctx.error().describe();
    return ctx ? *ctx : nullptr;
  }

  static TempDir* tmp_;
};

TempDir* TlsHandshake::tmp_ = nullptr;

TEST_F(TlsHandshake, AgentCertificateIdentifiesTheAgent) {
  auto server = server_context();
  auto client = client_context("agent");
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_FALSE(out.server_handshake) << out.server_handshake.message();
  EXPECT_FALSE(out.client_handshake) << out.client_handshake.message();
  EXPECT_FALSE(out.client_read) << out.client_read.message();
  EXPECT_EQ(out.received, "hello");
  ASSERT_TRUE(out.identity.has_value());
  EXPECT_EQ(out.identity->common_name, "web-01");
  EXPECT_TRUE(out.identity->client_auth);
}

TEST_F(TlsHandshake, ClientCertificateIsIdentifiedToo) {
  auto server = server_context();
  auto client = client_context("client");
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_FALSE(out.server_handshake) << out.server_handshake.message();
  ASSERT_TRUE(out.identity.has_value());
  EXPECT_EQ(out.identity->common_name, "alice");
  EXPECT_TRUE(out.identity->client_auth);
}

TEST_F(TlsHandshake, ClientWithoutCertificateIsAnonymous) {
  auto server = server_context();
  auto client = client_context(std::nullopt);
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_FALSE(out.server_handshake) << out.server_handshake.message();
  EXPECT_FALSE(out.client_handshake) << out.client_handshake.message();
  EXPECT_FALSE(out.client_read) << out.client_read.message();
  EXPECT_EQ(out.received, "hello");
  EXPECT_FALSE(out.identity.has_value());
}

TEST_F(TlsHandshake, CertificateFromAnotherCaIsRefusedByTheServer) {
  auto server = server_context();
  auto client = client_context("rogue");
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_TRUE(out.server_handshake);
  EXPECT_NE(out.server_handshake.message().find("certificate verify failed"), std::string::npos)
      << out.server_handshake.message();
  // TLS 1.3: the client's handshake may complete; the refusal arrives on its first read.
  EXPECT_TRUE(out.client_handshake || out.client_read);
  EXPECT_NE(out.received, "hello");
  EXPECT_FALSE(out.identity.has_value());
}

TEST_F(TlsHandshake, ServerCertificateCannotActAsAClient) {
  auto server = server_context();
  auto client = client_context("server");  // serverAuth only
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_TRUE(out.server_handshake);
  EXPECT_TRUE(out.client_handshake || out.client_read);
  EXPECT_FALSE(out.identity.has_value());
}

TEST_F(TlsHandshake, ClientRefusesServerForAnotherHostName) {
  auto server = server_context();
  auto client = client_context("agent");
  ASSERT_TRUE(server && client);
  auto out = run_connection(*server, *client, "other.test");
  ASSERT_TRUE(out.finished);
  EXPECT_TRUE(out.client_handshake);
  EXPECT_NE(out.client_handshake.message().find("certificate verify failed"), std::string::npos)
      << out.client_handshake.message();
  EXPECT_TRUE(out.server_handshake);
}

TEST_F(TlsHandshake, ClientVerifiesServerByIpAddress) {
  auto server = server_context();
  auto client = client_context(std::nullopt);
  ASSERT_TRUE(server && client);
  auto good = run_connection(*server, *client, "127.0.0.1");
  ASSERT_TRUE(good.finished);
  EXPECT_FALSE(good.client_handshake) << good.client_handshake.message();
  EXPECT_EQ(good.received, "hello");

  auto bad = run_connection(*server, *client, "127.0.0.2");
  ASSERT_TRUE(bad.finished);
  EXPECT_TRUE(bad.client_handshake);
}

TEST_F(TlsHandshake, ClientRefusesServerFromAnotherCa) {
  auto server = server_context();
  auto ctx = make_client_context({file("other-ca/ca.crt"), std::nullopt, std::nullopt});
  ASSERT_TRUE(ctx) << ctx.error().describe();
  auto out = run_connection(*server, **ctx, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_TRUE(out.client_handshake);
}

TEST_F(TlsHandshake, ServerRefusesTls12) {
  auto server = server_context();
  asio::ssl::context old_client(asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(old_client.native_handle(), TLS1_2_VERSION);
  old_client.set_verify_mode(asio::ssl::verify_none);
  auto out = run_connection(*server, old_client, "controller.test");
  ASSERT_TRUE(out.finished);
  EXPECT_TRUE(out.server_handshake);
  EXPECT_TRUE(out.client_handshake);
}

TEST_F(TlsHandshake, ServerContextRefusesKeyOfAnotherCertificate) {
  auto ctx = make_server_context({file("server.crt"), file("agent.key"), file("ca/ca.crt")});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, "pki.key_mismatch");
  EXPECT_FALSE(ctx.error().message.empty());
}

TEST_F(TlsHandshake, ContextsReportUnreadableFiles) {
  auto no_cert = make_server_context({file("missing.crt"), file("server.key"), file("ca/ca.crt")});
  ASSERT_FALSE(no_cert);
  EXPECT_EQ(no_cert.error().code, "pki.read_failed");
  EXPECT_EQ(no_cert.error().context, file("missing.crt").string());

  auto no_ca = make_server_context({file("server.crt"), file("server.key"), file("missing.crt")});
  ASSERT_FALSE(no_ca);
  EXPECT_EQ(no_ca.error().code, "pki.read_failed");

  auto no_key = make_client_context({file("ca/ca.crt"), file("agent.crt"), file("missing.key")});
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().code, "pki.read_failed");

  auto half = make_client_context({file("ca/ca.crt"), file("agent.crt"), std::nullopt});
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, "pki.invalid_argument");
}

}  // namespace
}  // namespace relman::pki
