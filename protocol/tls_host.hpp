// Server name checking for relman's TLS clients: a host name is matched against the
// certificate's DNS SANs (and sent as SNI), an IP literal against its IP SANs.
#pragma once

#include <string>

typedef struct ssl_st SSL;

namespace relman::protocol {

void set_verify_host(SSL* ssl, const std::string& host);

}  // namespace relman::protocol
