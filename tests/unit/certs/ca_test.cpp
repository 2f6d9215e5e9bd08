#include "certs/ca.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace relman::pki {
namespace {

namespace fs = std::filesystem;
using relman::test::TempDir;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr load_cert(const fs::path& path) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free_all);
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr,
                 &X509_free);
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

unsigned file_mode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::set<std::string> subject_alt_names(X509* cert) {
  std::set<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      out.insert("DNS:" +
                 std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                             ASN1_STRING_length(gn->d.dNSName)));
    } else if (gn->type == GEN_IPADD) {
      const unsigned char* ip = ASN1_STRING_get0_data(gn->d.iPAddress);
      if (ASN1_STRING_length(gn->d.iPAddress) == 4) {
        out.insert("IP:" + std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
                   std::to_string(ip[2]) + "." + std::to_string(ip[3]));
      } else {
        out.insert("IP:v6");
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool verifies_against(X509* cert, X509* ca) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr);
  return X509_verify_cert(ctx.get()) == 1;
}

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = init_ca(ca_dir(), "Test CA", 30);
    ASSERT_TRUE(r) << r.error().describe();
  }
  fs::path ca_dir() const { return tmp_ / "ca"; }
  fs::path out(const std::string& name) const { return tmp_ / name; }

  X509Ptr issue(const IssueRequest& req, const std::string& stem) {
    auto r = issue_certificate(ca_dir(), req, out(stem + ".crt"), out(stem + ".key"));
    EXPECT_TRUE(r) << r.error().describe();
    return load_cert(out(stem + ".crt"));
  }

  TempDir tmp_{"relman-ca-test"};
};

TEST_F(CaTest, InitWritesSelfSignedCaWithPrivateKey) {
  EXPECT_EQ(file_mode(ca_dir()), 0700u);
  EXPECT_EQ(file_mode(ca_dir() / "ca.key"), 0600u);
  EXPECT_TRUE(fs::exists(ca_dir() / "serial"));
  auto ca = load_cert(ca_dir() / "ca.crt");
  ASSERT_TRUE(ca);
  EXPECT_EQ(common_name(ca.get()), "Test CA");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_TRUE(verifies_against(ca.get(), ca.get()));
  EVP_PKEY* key = X509_get0_pubkey(ca.get());
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
}

TEST_F(CaTest, InitRefusesExistingCa) {
  auto r = init_ca(ca_dir(), "Other CA", 30);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pki.exists");
}

TEST_F(CaTest, IssuesServerCertificateWithSans) {
  IssueRequest req;
  req.kind = CertKind::server;
  req.common_name = "controller.example.org";
  req.dns_names = {"controller.example.org", "localhost"};
  req.ip_addresses = {"127.0.0.1"};
  auto cert = issue(req, "server");
  ASSERT_TRUE(cert);
  auto ca = load_cert(ca_dir() / "ca.crt");
  EXPECT_TRUE(verifies_against(cert.get(), ca.get()));
  EXPECT_EQ(common_name(cert.get()), "controller.example.org");
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(subject_alt_names(cert.get()),
            (std::set<std::string>{"DNS:controller.example.org", "DNS:localhost", "IP:127.0.0.1"}));
  EXPECT_EQ(file_mode(out("server.key")), 0600u);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
}

TEST_F(CaTest, IssuesAgentCertificateForClientAuthOnly) {
  auto cert = issue({CertKind::agent, "web-01.prod", {}, {}, 20}, "agent");
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "web-01.prod");
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_TRUE(subject_alt_names(cert.get()).empty());
  EXPECT_EQ(file_mode(out("agent.key")), 0600u);
  // Validity starts a minute back (clock skew) and ends valid_days later.
  std::time_t now = std::time(nullptr);
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &now), 0);
  std::time_t later = now + 21 * 86400;
  std::time_t sooner = now + 19 * 86400;
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert.get()), &later), 0);
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &sooner), 0);
}

TEST_F(CaTest, IssuesClientCertificate) {
  auto cert = issue({CertKind::client, "Release Manager Alice", {}, {}, 30}, "client");
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "Release Manager Alice");
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
}

TEST_F(CaTest, SerialsAreUnique) {
  auto a = issue({CertKind::agent, "a1", {}, {}, 30}, "a1");
  auto b = issue({CertKind::agent, "a2", {}, {}, 30}, "a2");
  ASSERT_TRUE(a && b);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST_F(CaTest, CertificateNeverOutlivesCa) {
  auto cert = issue({CertKind::agent, "long-lived", {}, {}, 3650}, "long");
  auto ca = load_cert(ca_dir() / "ca.crt");
  ASSERT_TRUE(cert && ca);
  EXPECT_LE(ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(ca.get())), 0);
}

TEST_F(CaTest, RefusesToOverwriteOutputs) {
  test::write_file(out("taken.crt"), "precious");
  auto r = issue_certificate(ca_dir(), {CertKind::agent, "a1", {}, {}, 30}, out("taken.crt"),
                             out("taken.key"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pki.exists");
  EXPECT_EQ(test::read_file(out("taken.crt")), "precious");
  EXPECT_FALSE(fs::exists(out("taken.key")));

  ASSERT_TRUE(issue(IssueRequest{CertKind::agent, "a2", {}, {}, 30}, "second"));
  auto again = issue_certificate(ca_dir(), {CertKind::agent, "a2", {}, {}, 30}, out("other.crt"),
                                 out("second.key"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "pki.exists");
}

TEST_F(CaTest, RefusesInvalidAgentIds) {
  for (const std::string& id : std::vector<std::string>{"", "web 01", "web/01", "../etc",
                                                        "w\xc3\xa9"
                                                        "b",
                                                        std::string(65, 'a'), "CN=x,O=y"}) {
    auto r = issue_certificate(ca_dir(), {CertKind::agent, id, {}, {}, 30}, out("bad.crt"),
                               out("bad.key"));
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, "pki.invalid_name") << id;
    EXPECT_FALSE(fs::exists(out("bad.key")));
  }
}

TEST_F(CaTest, ServerNeedsAtLeastOneName) {
  auto r = issue_certificate(ca_dir(), {CertKind::server, "controller", {}, {}, 30}, out("s.crt"),
                             out("s.key"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pki.invalid_name");
}

TEST_F(CaTest, RefusesInvalidDnsNamesAndIps) {
  auto bad_dns = issue_certificate(ca_dir(), {CertKind::server, "c", {"bad name"}, {}, 30},
                                   out("s.crt"), out("s.key"));
  ASSERT_FALSE(bad_dns);
  EXPECT_EQ(bad_dns.error().code, "pki.invalid_name");
  auto bad_ip = issue_certificate(ca_dir(), {CertKind::server, "c", {}, {"300.1.1.1"}, 30},
                                  out("s.crt"), out("s.key"));
  ASSERT_FALSE(bad_ip);
  EXPECT_EQ(bad_ip.error().code, "pki.invalid_ip");
}

TEST_F(CaTest, AgentCertificatesCarryNoSans) {
  auto r = issue_certificate(ca_dir(), {CertKind::agent, "a1", {"evil.example"}, {}, 30},
                             out("a.crt"), out("a.key"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pki.invalid_name");
}

TEST(CaMissing, IssueWithoutCaIsRefused) {
  TempDir tmp;
  auto r = issue_certificate(tmp / "nope", {CertKind::agent, "a1", {}, {}, 30}, tmp / "a.crt",
                             tmp / "a.key");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pki.ca_missing");
}

TEST(AgentId, Validation) {
  EXPECT_TRUE(is_valid_agent_id("web-01.prod_eu"));
  EXPECT_TRUE(is_valid_agent_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_agent_id(""));
  EXPECT_FALSE(is_valid_agent_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_agent_id("a b"));
  EXPECT_FALSE(is_valid_agent_id("a/b"));
}

}  // namespace
}  // namespace relman::pki
