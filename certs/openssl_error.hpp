// OpenSSL's error queue as one readable line, for relman::Error messages.
#pragma once

#include <string>

namespace relman::pki {

// Empties the calling thread's OpenSSL error queue.
std::string openssl_reason();

}  // namespace relman::pki
