#include "protocol/tls_host.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "protocol/asio.hpp"

namespace relman::protocol {

void set_verify_host(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
}

}  // namespace relman::protocol
