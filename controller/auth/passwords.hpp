// Password hashing (scrypt, from OpenSSL) and API session tokens. A token is 32 random bytes
// (hex); the store keeps only its SHA-256, so a database leak does not leak sessions.
#pragma once

#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::controller {

// "scrypt$N$r$p$<salt hex>$<hash hex>"
Result<std::string> hash_password(std::string_view password);
// Constant-time comparison; false for malformed stored hashes.
bool verify_password(std::string_view password, std::string_view stored);

std::string random_hex(std::size_t bytes);
std::string new_session_token();
std::string token_hash(std::string_view token);

}  // namespace relman::controller
