// SHA-256 through OpenSSL EVP (uses the CPU's SHA instructions; ~4x coreutils here).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::packaging {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Lowercase hex of the digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view bytes);
// Streams the file in 1 MiB blocks (io.read_failed on error).
Result<std::string> sha256_file(const std::filesystem::path& path);
bool is_sha256_hex(std::string_view s);  // 64 lowercase hex digits

}  // namespace relman::packaging
