#include "controller/auth/passwords.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "packaging/sha256.hpp"

namespace relman::controller {
namespace {

// N = 2^15, r = 8, p = 1: 32 MiB and ~0.1 s per hash on one core here.
constexpr std::uint64_t kScryptN = 1 << 15;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;
constexpr std::size_t kHashBytes = 32;

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>& out) {
  if (hex.size() % 2) return false;
  out.clear();
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = val(hex[i]), lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

bool scrypt(std::string_view password, const std::vector<unsigned char>& salt, std::uint64_t n,
            std::uint64_t r, std::uint64_t p, unsigned char* out, std::size_t out_len) {
  return EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r, p,
                        64ull << 20, out, out_len) == 1;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // programming/platform error
  }
  return to_hex(buf.data(), buf.size());
}

Result<std::string> hash_password(std::string_view password) {
  std::vector<unsigned char> salt(16);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return fail("auth.random_failed", "no random bytes for the password salt");
  }
  unsigned char out[kHashBytes];
  if (!scrypt(password, salt, kScryptN, kScryptR, kScryptP, out, sizeof out)) {
    return fail("auth.hash_failed", "scrypt failed");
  }
  return "scrypt$" + std::to_string(kScryptN) + "$" + std::to_string(kScryptR) + "$" +
         std::to_string(kScryptP) + "$" + to_hex(salt.data(), salt.size()) + "$" +
         to_hex(out, sizeof out);
}

bool verify_password(std::string_view password, std::string_view stored) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto pos = stored.find('$', start);
    parts.push_back(stored.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  std::uint64_t n = 0, r = 0, p = 0;
  try {
    n = std::stoull(std::string(parts[1]));
    r = std::stoull(std::string(parts[2]));
    p = std::stoull(std::string(parts[3]));
  } catch (...) {
    return false;
  }
  if (n < 2 || n > (1u << 20) || r < 1 || r > 32 || p < 1 || p > 16) return false;
  std::vector<unsigned char> salt, expected;
  if (!from_hex(parts[4], salt) || !from_hex(parts[5], expected) || expected.empty()) {
    return false;
  }
  std::vector<unsigned char> got(expected.size());
  if (!scrypt(password, salt, n, r, p, got.data(), got.size())) return false;
  return CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0;
}

std::string new_session_token() { return random_hex(32); }

std::string token_hash(std::string_view token) { return packaging::sha256_hex(token); }

}  // namespace relman::controller
