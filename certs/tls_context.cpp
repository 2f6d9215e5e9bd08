#include "certs/tls_context.hpp"

#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "certs/openssl_error.hpp"

namespace relman::pki {
namespace {

namespace fs = std::filesystem;

// Servers that verify peers must name a session id context, or resumption fails.
constexpr unsigned char kSessionIdContext[] = "relman";

struct Deleter {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

Result<void> tls13_only(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return fail("pki.openssl", "cannot restrict the context to TLS 1.3: " + openssl_reason());
  }
  return ok();
}

Result<void> load_verify_ca(SSL_CTX* ctx, const fs::path& ca) {
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    return fail("pki.read_failed", "cannot load CA certificates: " + openssl_reason(), ca.string());
  }
  return ok();
}

// Loads a certificate chain and its key, and checks that the key belongs to the certificate.
Result<void> load_identity(SSL_CTX* ctx, const fs::path& cert, const fs::path& key) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return fail("pki.read_failed", "cannot load certificate chain: " + openssl_reason(),
                cert.string());
  }
  Owned<BIO> bio(BIO_new_file(key.c_str(), "r"));
  Owned<EVP_PKEY> pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                           : nullptr);
  if (!pkey) {
    return fail("pki.read_failed", "cannot load private key: " + openssl_reason(), key.string());
  }
  // SSL_CTX_use_PrivateKey already refuses a key that does not match the certificate.
  if (SSL_CTX_use_PrivateKey(ctx, pkey.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return fail("pki.key_mismatch",
                "private key does not belong to the certificate: " + openssl_reason(),
                key.string());
  }
  return ok();
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_server_context(const ServerTlsFiles& files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  if (auto r = tls13_only(ctx); !r) return fail(r.error());
  if (auto r = load_identity(ctx, files.cert, files.key); !r) return fail(r.error());
  if (auto r = load_verify_ca(ctx, files.client_ca); !r) return fail(r.error());

  // Advertise the client CA so clients pick the right certificate.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
  if (!names) {
    return fail("pki.read_failed", "cannot read client CA names: " + openssl_reason(),
                files.client_ca.string());
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership

  // Ask for a certificate but do not require one: browsers and API clients have none. One
  // that is presented must verify against client_ca or the handshake fails.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
    return fail("pki.openssl", "cannot set session id context: " + openssl_reason());
  }
  return context;
}

Result<std::shared_ptr<asio::ssl::context>> make_client_context(const ClientTlsFiles& files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  if (auto r = tls13_only(ctx); !r) return fail(r.error());
  if (auto r = load_verify_ca(ctx, files.ca); !r) return fail(r.error());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (files.cert.has_value() != files.key.has_value()) {
    return fail("pki.invalid_argument",
                "a client certificate needs its key, and a key its "
                "certificate");
  }
  if (files.cert) {
    if (auto r = load_identity(ctx, *files.cert, *files.key); !r) return fail(r.error());
  }
  return context;
}

Result<std::shared_ptr<asio::ssl::context>> make_outbound_client_context(
    const std::filesystem::path& ca_file) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail("pki.openssl", "cannot require TLS 1.2 or newer: " + openssl_reason());
  }
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return fail("pki.read_failed",
                  "cannot load the system's CA certificates: " + openssl_reason());
    }
  } else if (auto r = load_verify_ca(ctx, ca_file); !r) {
    return fail(r.error());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

void set_verify_host(SSL* ssl, const std::string& host) {
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);  // "[::1]" as written in URLs
  }
  if (is_ip_literal(name)) {
    // IP literals are matched against iPAddress SANs; SNI must not carry an address.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    return;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_set1_host(ssl, name.c_str());
  SSL_set_tlsext_host_name(ssl, name.c_str());
}

std::optional<PeerIdentity> peer_identity(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;

  PeerIdentity id;
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    Owned<unsigned char> owned(utf8);
    if (len >= 0)
      id.common_name.assign(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  }
  id.client_auth = (X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT) != 0;
  return id;
}

}  // namespace relman::pki
