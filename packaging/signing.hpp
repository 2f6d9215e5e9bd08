// Ed25519 keys and signatures (packages and deploy orders). Keys are stored as PEM
// (PKCS#8 private, SubjectPublicKeyInfo public); a key id is the SHA-256 hex of the raw
// 32-byte public key. Signatures travel as base64 of the 64 raw bytes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace relman::packaging {

class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(std::shared_ptr<EVP_PKEY> key);
  EVP_PKEY* get() const { return key_.get(); }
  const std::string& key_id() const { return key_id_; }
  std::string raw_base64() const;  // the 32 raw bytes, base64
  std::string pem() const;
  bool valid() const { return key_ != nullptr; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string key_id_;
};

class PrivateKey {
 public:
  PrivateKey() = default;
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key);
  EVP_PKEY* get() const { return key_.get(); }
  PublicKey public_key() const;
  bool valid() const { return key_ != nullptr; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

PrivateKey generate_signing_key();

// Errors: key.read_failed, key.invalid (not an Ed25519 key), key.write_failed.
Result<PrivateKey> load_private_key(const std::filesystem::path& pem_file);
Result<PublicKey> load_public_key(const std::filesystem::path& pem_file);
Result<PublicKey> public_key_from_pem(std::string_view pem);
Result<PublicKey> public_key_from_raw_base64(std::string_view b64);
// Writes with mode 0600, atomically (temp file + rename); refuses to overwrite (key.exists).
Result<void> save_private_key(const PrivateKey& key, const std::filesystem::path& pem_file);
Result<void> save_public_key(const PublicKey& key, const std::filesystem::path& pem_file);

// Base64 signature over `data`.
std::string sign(const PrivateKey& key, std::string_view data);
// False for a wrong signature, malformed base64 or wrong length; never throws.
bool verify_signature(const PublicKey& key, std::string_view data, std::string_view signature_b64);

}  // namespace relman::packaging
