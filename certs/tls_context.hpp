// TLS contexts for both daemons and the CLI. TLS 1.3 only.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "protocol/asio.hpp"
#include "protocol/error.hpp"

namespace relman::pki {

struct ServerTlsFiles {
  std::filesystem::path cert;       // server certificate chain (PEM)
  std::filesystem::path key;        // its private key
  std::filesystem::path client_ca;  // CA whose client certificates are accepted
};

// Server context: presents cert/key; asks every client for a certificate (advertising the
// client CA) but does not require one, so browsers and API clients without one can connect.
// A certificate that is presented must verify against client_ca, or the handshake fails.
// Routes that need an agent check peer_identity() themselves.
Result<std::shared_ptr<asio::ssl::context>> make_server_context(const ServerTlsFiles& files);

struct ClientTlsFiles {
  std::filesystem::path ca;                   // CA that must have issued the server's certificate
  std::optional<std::filesystem::path> cert;  // client certificate for mutual TLS
  std::optional<std::filesystem::path> key;
};

// Client context: verifies the server against `ca` (hostname checked by the caller through
// set_verify_host), presents cert/key when given.
Result<std::shared_ptr<asio::ssl::context>> make_client_context(const ClientTlsFiles& files);

// Client context for services outside relman (webhook receivers): TLS 1.2 or newer, the
// server verified against `ca_file`, or the system's trusted CAs when it is empty.
Result<std::shared_ptr<asio::ssl::context>> make_outbound_client_context(
    const std::filesystem::path& ca_file);

// Enables hostname (or IP) verification for one connection.
void set_verify_host(SSL* ssl, const std::string& host);

struct PeerIdentity {
  std::string common_name;
  bool client_auth = false;  // certificate allows clientAuth (agent or client kind)
};

// The verified peer certificate's identity; nullopt when the peer sent none.
std::optional<PeerIdentity> peer_identity(SSL* ssl);

}  // namespace relman::pki
