#include "certs/openssl_error.hpp"

#include <openssl/err.h>

namespace relman::pki {

std::string openssl_reason() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

}  // namespace relman::pki
