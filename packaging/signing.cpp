#include "packaging/signing.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <fstream>
#include <sstream>

#include "packaging/atomic_file.hpp"
#include "packaging/sha256.hpp"
#include "protocol/base64.hpp"

namespace relman::packaging {
namespace {

constexpr std::size_t kRawKeyBytes = 32;
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kMaxPemBytes = 64 * 1024;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

std::string raw_public(EVP_PKEY* key) {
  std::array<unsigned char, kRawKeyBytes> raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size()) return {};
  return std::string(reinterpret_cast<const char*>(raw.data()), len);
}

bool is_ed25519(EVP_PKEY* key) { return key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

Result<std::string> read_pem_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("key.read_failed", "cannot open key file", file.string());
  std::string text(kMaxPemBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("key.read_failed", "cannot read key file", file.string());
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxPemBytes) {
    return fail("key.invalid", "key file is too large to be a PEM key", file.string());
  }
  return text;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

}  // namespace

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {
  if (key_) key_id_ = sha256_hex(raw_public(key_.get()));
}

std::string PublicKey::raw_base64() const {
  return key_ ? protocol::base64_encode(raw_public(key_.get())) : std::string();
}

std::string PublicKey::pem() const {
  if (!key_) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  return bio_contents(bio.get());
}

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}

PublicKey PrivateKey::public_key() const {
  if (!key_) return {};
  std::string raw = raw_public(key_.get());
  EVP_PKEY* pub = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  return pub ? PublicKey(own(pub)) : PublicKey();
}

PrivateKey generate_signing_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  return key ? PrivateKey(own(key)) : PrivateKey();
}

Result<PrivateKey> load_private_key(const std::filesystem::path& pem_file) {
  auto text = read_pem_file(pem_file);
  if (!text) return fail(text.error());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), BIO_free);
  // An empty passphrase callback result: encrypted keys are refused rather than prompting.
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(
                            bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                      : nullptr;
  if (!key) {
    ERR_clear_error();  // a refused key is an answer, not an error for the next TLS call
    return fail("key.invalid", "file does not hold a PEM private key", pem_file.string());
  }
  auto owned = own(key);
  if (!is_ed25519(key)) {
    return fail("key.invalid", "private key is not an Ed25519 key", pem_file.string());
  }
  return PrivateKey(owned);
}

Result<PublicKey> public_key_from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return fail("key.invalid", "public key PEM is too large");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key) {
    ERR_clear_error();
    return fail("key.invalid", "text is not a PEM public key");
  }
  auto owned = own(key);
  if (!is_ed25519(key)) return fail("key.invalid", "public key is not an Ed25519 key");
  return PublicKey(owned);
}

Result<PublicKey> load_public_key(const std::filesystem::path& pem_file) {
  auto text = read_pem_file(pem_file);
  if (!text) return fail(text.error());
  auto key = public_key_from_pem(*text);
  if (!key) return fail(key.error().code, key.error().message, pem_file.string());
  return key;
}

Result<PublicKey> public_key_from_raw_base64(std::string_view b64) {
  auto raw = protocol::base64_decode(b64);
  if (!raw || raw->size() != kRawKeyBytes) {
    return fail("key.invalid", "public key must be base64 of 32 raw Ed25519 bytes");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw->data()), raw->size());
  if (!key) {
    ERR_clear_error();
    return fail("key.invalid", "bytes are not an Ed25519 public key");
  }
  return PublicKey(own(key));
}

Result<void> save_private_key(const PrivateKey& key, const std::filesystem::path& pem_file) {
  if (!key.valid()) return fail("key.write_failed", "no key to save", pem_file.string());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail("key.write_failed", "cannot encode the private key", pem_file.string());
  }
  std::string pem = bio_contents(bio.get());
  auto r = write_file_atomically(pem_file, pem, 0600, "key.write_failed", /*overwrite=*/false,
                                 "key.exists");
  OPENSSL_cleanse(pem.data(), pem.size());
  return r;
}

Result<void> save_public_key(const PublicKey& key, const std::filesystem::path& pem_file) {
  if (!key.valid()) return fail("key.write_failed", "no key to save", pem_file.string());
  std::string pem = key.pem();
  if (pem.empty())
    return fail("key.write_failed", "cannot encode the public key", pem_file.string());
  return write_file_atomically(pem_file, pem, 0644, "key.write_failed");
}

std::string sign(const PrivateKey& key, std::string_view data) {
  if (!key.valid()) return {};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<unsigned char, kSignatureBytes> sig{};
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return {};
  }
  return protocol::base64_encode(std::string_view(reinterpret_cast<const char*>(sig.data()), len));
}

bool verify_signature(const PublicKey& key, std::string_view data, std::string_view signature_b64) {
  if (!key.valid() || signature_b64.size() > 128) return false;
  auto sig = protocol::base64_decode(signature_b64);
  if (!sig || sig->size() != kSignatureBytes) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  bool valid =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!valid) ERR_clear_error();
  return valid;
}

}  // namespace relman::packaging
