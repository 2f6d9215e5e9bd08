#include "packaging/signing.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace relman::packaging {
namespace {

using relman::test::TempDir;
using relman::test::write_file;

TEST(Signing, SignatureRoundTripVerifies) {
  auto key = generate_signing_key();
  ASSERT_TRUE(key.valid());
  auto sig = sign(key, "manifest bytes");
  EXPECT_FALSE(sig.empty());
  EXPECT_TRUE(verify_signature(key.public_key(), "manifest bytes", sig));
}

TEST(Signing, RefusesSignatureFromAnotherKey) {
  auto key = generate_signing_key();
  auto other = generate_signing_key();
  auto sig = sign(key, "data");
  EXPECT_FALSE(verify_signature(other.public_key(), "data", sig));
}

TEST(Signing, RefusesTamperedData) {
  auto key = generate_signing_key();
  auto sig = sign(key, "data");
  EXPECT_FALSE(verify_signature(key.public_key(), "data!", sig));
  EXPECT_FALSE(verify_signature(key.public_key(), "", sig));
}

TEST(Signing, RefusesMalformedSignatures) {
  auto key = generate_signing_key();
  auto pub = key.public_key();
  auto sig = sign(key, "data");
  EXPECT_FALSE(verify_signature(pub, "data", ""));
  EXPECT_FALSE(verify_signature(pub, "data", "not base64!"));
  EXPECT_FALSE(verify_signature(pub, "data", sig.substr(0, sig.size() - 4)));
  EXPECT_FALSE(verify_signature(pub, "data", "AAAA"));
  EXPECT_FALSE(verify_signature(pub, "data", sig + "AAAA"));
  EXPECT_FALSE(verify_signature(PublicKey{}, "data", sig));
  std::string flipped = sig;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_signature(pub, "data", flipped));
}

TEST(SigningKeys, KeyIdIsSha256OfRawPublicKey) {
  auto key = generate_signing_key();
  auto pub = key.public_key();
  EXPECT_EQ(pub.key_id().size(), 64u);
  auto again = public_key_from_raw_base64(pub.raw_base64());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->key_id(), pub.key_id());
  auto from_pem = public_key_from_pem(pub.pem());
  ASSERT_TRUE(from_pem.has_value());
  EXPECT_EQ(from_pem->key_id(), pub.key_id());
}

TEST(SigningKeys, SaveAndLoadRoundTrip) {
  TempDir dir;
  auto key = generate_signing_key();
  ASSERT_TRUE(save_private_key(key, dir / "k.key").has_value());
  ASSERT_TRUE(save_public_key(key.public_key(), dir / "k.pub").has_value());
  auto loaded = load_private_key(dir / "k.key");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().describe();
  auto pub = load_public_key(dir / "k.pub");
  ASSERT_TRUE(pub.has_value()) << pub.error().describe();
  EXPECT_EQ(loaded->public_key().key_id(), key.public_key().key_id());
  EXPECT_EQ(pub->key_id(), key.public_key().key_id());
  EXPECT_TRUE(verify_signature(*pub, "x", sign(*loaded, "x")));
}

TEST(SigningKeys, PrivateKeyFileHasMode0600) {
  TempDir dir;
  ASSERT_TRUE(save_private_key(generate_signing_key(), dir / "k.key").has_value());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(SigningKeys, RefusesToOverwriteAPrivateKey) {
  TempDir dir;
  write_file(dir / "k.key", "precious");
  auto r = save_private_key(generate_signing_key(), dir / "k.key");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "key.exists");
  EXPECT_EQ(relman::test::read_file(dir / "k.key"), "precious");
}

TEST(SigningKeys, LoadingAMissingFileFailsWithReadFailed) {
  TempDir dir;
  auto r = load_private_key(dir / "missing.key");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "key.read_failed");
  auto p = load_public_key(dir / "missing.pub");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, "key.read_failed");
}

TEST(SigningKeys, LoadingGarbagePemFailsWithInvalid) {
  TempDir dir;
  write_file(dir / "g.key", "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n");
  auto r = load_private_key(dir / "g.key");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "key.invalid");
  auto p = load_public_key(dir / "g.key");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, "key.invalid");
  EXPECT_FALSE(public_key_from_raw_base64("AAAA").has_value());
  EXPECT_FALSE(public_key_from_raw_base64("%%%%").has_value());
}

TEST(SigningKeys, LoadingANonEd25519KeyFailsWithInvalid) {
  TempDir dir;
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(priv, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  ASSERT_EQ(PEM_write_bio_PUBKEY(pub, ec), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  write_file(dir / "ec.key", std::string(data, static_cast<std::size_t>(n)));
  n = BIO_get_mem_data(pub, &data);
  write_file(dir / "ec.pub", std::string(data, static_cast<std::size_t>(n)));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(ec);

  auto r = load_private_key(dir / "ec.key");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "key.invalid");
  auto p = load_public_key(dir / "ec.pub");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, "key.invalid");
}

}  // namespace
}  // namespace relman::packaging
