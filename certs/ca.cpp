#include "certs/ca.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <system_error>

#include "certs/openssl_error.hpp"

namespace relman::pki {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxValidDays = 36500;
constexpr int kClockSkewSeconds = 60;  // notBefore is set this far back for skewed clocks
constexpr int kSerialBits = 120;       // the first serial is random, so CAs never collide

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
  void operator()(char* p) const { OPENSSL_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

std::unexpected<Error> openssl_failure(const std::string& what, std::string context = {}) {
  return fail("pki.openssl", what + ": " + openssl_reason(), std::move(context));
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// A private file descriptor closed at scope end.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes `content` to `target` with `mode`, atomically, never replacing an existing file: the
// bytes go to a temporary file (created with the final mode, so a key is never readable by
// others), are synced, then linked into place; link(2) refuses an existing target.
Result<void> write_new_file(const fs::path& target, std::string_view content, mode_t mode) {
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  Fd out;
  out.fd = ::mkstemp(tmpl.data());
  if (out.fd < 0) {
    return fail("pki.write_failed", "cannot create a file: " + errno_text(errno), target.string());
  }
  auto remove_tmp = [&] { ::unlink(tmpl.c_str()); };
  if (::fchmod(out.fd, mode) != 0) {
    int err = errno;
    remove_tmp();
    return fail("pki.write_failed", "cannot set file mode: " + errno_text(err), target.string());
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(out.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      remove_tmp();
      return fail("pki.write_failed", "cannot write: " + errno_text(err), target.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(out.fd) != 0) {
    int err = errno;
    remove_tmp();
    return fail("pki.write_failed", "cannot sync: " + errno_text(err), target.string());
  }
  if (::link(tmpl.c_str(), target.c_str()) != 0) {
    int err = errno;
    remove_tmp();
    if (err == EEXIST) {
      return fail("pki.exists", "file already exists; refusing to overwrite it", target.string());
    }
    return fail("pki.write_failed", "cannot create: " + errno_text(err), target.string());
  }
  remove_tmp();
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (d.fd >= 0) ::fsync(d.fd);  // best effort: the file itself is already durable
  return ok();
}

Result<std::string> pem_of_key(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure("cannot encode private key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::string> pem_of_cert(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return openssl_failure("cannot encode certificate");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<Owned<EVP_PKEY>> generate_p256_key() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("cannot generate an ECDSA P-256 key");
  return key;
}

// Adds one extension given in OpenSSL's configuration syntax (fixed strings only).
Result<void> add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return openssl_failure(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  }
  return ok();
}

Result<Owned<X509>> new_certificate(const BIGNUM* serial, const std::string& common_name,
                                    EVP_PKEY* subject_key, int valid_days) {
  Owned<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return openssl_failure("cannot create certificate");
  }
  Owned<ASN1_INTEGER> serial_asn1(BN_to_ASN1_INTEGER(serial, nullptr));
  if (!serial_asn1 || X509_set_serialNumber(cert.get(), serial_asn1.get()) != 1) {
    return openssl_failure("cannot set serial number");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return fail("pki.invalid_name", "common name is not acceptable: " + openssl_reason(),
                common_name);
  }
  std::time_t now = std::time(nullptr);
  if (!X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -kClockSkewSeconds, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), valid_days, 0, &now) ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return openssl_failure("cannot set validity or public key");
  }
  return cert;
}

Result<Owned<BIGNUM>> random_serial() {
  Owned<BIGNUM> bn(BN_new());
  if (!bn || BN_rand(bn.get(), kSerialBits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
    return openssl_failure("cannot draw a random serial number");
  }
  return bn;
}

Result<void> check_valid_days(int days) {
  if (days < 1 || days > kMaxValidDays) {
    return fail("pki.invalid_validity",
                "validity must be between 1 and " + std::to_string(kMaxValidDays) + " days",
                std::to_string(days));
  }
  return ok();
}

// Takes the next serial from <ca>/serial under an exclusive lock, so concurrent issuers never
// hand out the same number, and stores the one after it.
Result<Owned<BIGNUM>> take_serial(const fs::path& serial_file) {
  Fd f;
  f.fd = ::open(serial_file.c_str(), O_RDWR | O_CLOEXEC);
  if (f.fd < 0) {
    return fail("pki.ca_missing", "cannot open the CA serial file: " + errno_text(errno),
                serial_file.string());
  }
  if (::flock(f.fd, LOCK_EX) != 0) {
    return fail("pki.write_failed", "cannot lock the serial file: " + errno_text(errno),
                serial_file.string());
  }
  char buf[128] = {};
  ssize_t n = ::pread(f.fd, buf, sizeof buf - 1, 0);
  if (n < 0) {
    return fail("pki.read_failed", "cannot read the serial file: " + errno_text(errno),
                serial_file.string());
  }
  std::string text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  BIGNUM* raw = nullptr;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      BN_dec2bn(&raw, text.c_str()) != static_cast<int>(text.size())) {
    BN_free(raw);
    ERR_clear_error();
    return fail("pki.read_failed", "serial file does not hold a decimal number",
                serial_file.string());
  }
  Owned<BIGNUM> serial(raw);
  Owned<BIGNUM> next(BN_dup(serial.get()));
  if (!next || BN_add_word(next.get(), 1) != 1) return openssl_failure("cannot count serials");
  Owned<char> next_text(BN_bn2dec(next.get()));
  if (!next_text) return openssl_failure("cannot format serial");
  std::string line = std::string(next_text.get()) + "\n";
  if (::ftruncate(f.fd, 0) != 0 ||
      ::pwrite(f.fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()) ||
      ::fsync(f.fd) != 0) {
    return fail("pki.write_failed", "cannot update the serial file: " + errno_text(errno),
                serial_file.string());
  }
  return serial;
}

Result<Owned<X509>> read_cert_file(const fs::path& path) {
  Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return fail("pki.ca_missing", "cannot read the CA certificate", path.string());
  }
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert)
    return fail("pki.read_failed", "not a PEM certificate: " + openssl_reason(), path.string());
  return cert;
}

Result<Owned<EVP_PKEY>> read_key_file(const fs::path& path) {
  Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return fail("pki.ca_missing", "cannot read the CA key", path.string());
  }
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return fail("pki.read_failed", "not a PEM private key: " + openssl_reason(), path.string());
  return key;
}

bool is_valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find('.', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view label = name.substr(pos, end - pos);
    // A single leading "*" label is a wildcard; every other label is LDH, 1..63 characters.
    bool wildcard = label == "*" && pos == 0 && end != name.size();
    if (!wildcard) {
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      for (char c : label) {
        bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        if (!ldh) return false;
      }
    }
    pos = end + 1;
  }
  return true;
}

bool is_ip_literal(const std::string& ip) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, ip.c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

Result<void> validate_request(const IssueRequest& req) {
  if (auto days = check_valid_days(req.valid_days); !days) return days;
  switch (req.kind) {
    case CertKind::agent:
      if (!is_valid_agent_id(req.common_name)) {
        return fail("pki.invalid_name",
                    "agent id must be 1 to 64 characters from A-Z a-z 0-9 . _ -", req.common_name);
      }
      break;
    case CertKind::server:
      if (req.dns_names.empty() && req.ip_addresses.empty()) {
        return fail("pki.invalid_name",
                    "a server certificate needs at least one DNS name or IP address");
      }
      for (const auto& name : req.dns_names) {
        if (!is_valid_dns_name(name)) {
          return fail("pki.invalid_name", "not a valid DNS name", name);
        }
      }
      for (const auto& ip : req.ip_addresses) {
        if (!is_ip_literal(ip)) return fail("pki.invalid_ip", "not an IP address", ip);
      }
      break;
    case CertKind::client:
      break;
  }
  if (req.kind != CertKind::server && (!req.dns_names.empty() || !req.ip_addresses.empty())) {
    return fail("pki.invalid_name", "DNS names and IP addresses belong in server certificates");
  }
  // RFC 5280 upper bound for a common name.
  if (req.common_name.empty() || req.common_name.size() > 64) {
    return fail("pki.invalid_name", "common name must be 1 to 64 bytes", req.common_name);
  }
  return ok();
}

Result<void> add_subject_alt_names(X509* cert, const IssueRequest& req) {
  Owned<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (!names) return openssl_failure("cannot build subjectAltName");
  for (const auto& dns : req.dns_names) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!gn || !ia5 || ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(ia5);
      return openssl_failure("cannot build subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    if (!sk_GENERAL_NAME_push(names.get(), gn)) {
      GENERAL_NAME_free(gn);
      return openssl_failure("cannot build subjectAltName");
    }
  }
  for (const auto& ip : req.ip_addresses) {
    GENERAL_NAME* gn = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0);
    if (!gn) return fail("pki.invalid_ip", "not an IP address: " + openssl_reason(), ip);
    if (!sk_GENERAL_NAME_push(names.get(), gn)) {
      GENERAL_NAME_free(gn);
      return openssl_failure("cannot build subjectAltName");
    }
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_failure("cannot add subjectAltName");
  }
  return ok();
}

}  // namespace

bool is_valid_agent_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

Result<void> init_ca(const fs::path& dir, const std::string& common_name, int valid_days) {
  if (auto days = check_valid_days(valid_days); !days) return days;
  if (common_name.empty() || common_name.size() > 64) {
    return fail("pki.invalid_name", "CA common name must be 1 to 64 bytes", common_name);
  }
  std::error_code ec;
  if (fs::exists(dir / "ca.key", ec)) {
    return fail("pki.exists", "a CA key already exists here; refusing to replace it",
                (dir / "ca.key").string());
  }
  if (!fs::exists(dir, ec)) {
    if (dir.has_parent_path() && !dir.parent_path().empty()) {
      fs::create_directories(dir.parent_path(), ec);
      if (ec) {
        return fail("pki.write_failed", "cannot create directory: " + ec.message(),
                    dir.parent_path().string());
      }
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail("pki.write_failed", "cannot create directory: " + errno_text(errno),
                  dir.string());
    }
  }

  auto key = generate_p256_key();
  if (!key) return fail(key.error());
  auto serial = random_serial();
  if (!serial) return fail(serial.error());
  auto cert = new_certificate(serial->get(), common_name, key->get(), valid_days);
  if (!cert) return fail(cert.error());
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) {
    return openssl_failure("cannot set issuer");
  }
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"},
                            std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto added = add_extension(c, c, nid, value); !added) return added;
  }
  if (X509_sign(c, key->get(), EVP_sha256()) <= 0) return openssl_failure("cannot sign CA");

  // The first leaf serial is random too: two CAs with the same name never reuse a serial.
  auto first_leaf = random_serial();
  if (!first_leaf) return fail(first_leaf.error());
  Owned<char> first_leaf_text(BN_bn2dec(first_leaf->get()));
  if (!first_leaf_text) return openssl_failure("cannot format serial");

  auto key_pem = pem_of_key(key->get());
  if (!key_pem) return fail(key_pem.error());
  auto cert_pem = pem_of_cert(c);
  if (!cert_pem) return fail(cert_pem.error());

  // ca.key goes last: its presence is what marks an initialised CA.
  for (const char* name : {"ca.crt", "serial"}) {
    fs::path stale = dir / name;
    if (fs::exists(stale, ec)) {
      return fail("pki.exists", "file already exists; refusing to overwrite it", stale.string());
    }
  }
  if (auto w = write_new_file(dir / "ca.crt", *cert_pem, 0644); !w) return w;
  if (auto w = write_new_file(dir / "serial", std::string(first_leaf_text.get()) + "\n", 0644);
      !w) {
    fs::remove(dir / "ca.crt", ec);
    return w;
  }
  if (auto w = write_new_file(dir / "ca.key", *key_pem, 0600); !w) {
    fs::remove(dir / "ca.crt", ec);
    fs::remove(dir / "serial", ec);
    return w;
  }
  return ok();
}

Result<void> issue_certificate(const fs::path& ca_dir, const IssueRequest& req,
                               const fs::path& out_cert, const fs::path& out_key) {
  if (auto valid = validate_request(req); !valid) return valid;
  std::error_code ec;
  for (const auto& out : {out_cert, out_key}) {
    if (fs::exists(out, ec)) {
      return fail("pki.exists", "file already exists; refusing to overwrite it", out.string());
    }
  }
  if (fs::equivalent(out_cert, out_key, ec) || out_cert == out_key) {
    return fail("pki.invalid_argument", "certificate and key need two different files",
                out_cert.string());
  }

  auto ca_key = read_key_file(ca_dir / "ca.key");
  if (!ca_key) return fail(ca_key.error());
  auto ca_cert = read_cert_file(ca_dir / "ca.crt");
  if (!ca_cert) return fail(ca_cert.error());
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    return fail("pki.key_mismatch", "ca.key does not belong to ca.crt: " + openssl_reason(),
                ca_dir.string());
  }

  auto key = generate_p256_key();
  if (!key) return fail(key.error());
  auto serial = take_serial(ca_dir / "serial");
  if (!serial) return fail(serial.error());
  auto cert = new_certificate(serial->get(), req.common_name, key->get(), req.valid_days);
  if (!cert) return fail(cert.error());
  X509* c = cert->get();
  X509* issuer = ca_cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(issuer)) != 1) {
    return openssl_failure("cannot set issuer");
  }
  // A certificate never outlives the CA that vouches for it.
  if (ASN1_TIME_compare(X509_get0_notAfter(c), X509_get0_notAfter(issuer)) > 0 &&
      X509_set1_notAfter(c, X509_get0_notAfter(issuer)) != 1) {
    return openssl_failure("cannot set validity");
  }
  const char* eku = req.kind == CertKind::server ? "serverAuth" : "clientAuth";
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"}, std::pair{NID_ext_key_usage, eku},
        std::pair{NID_subject_key_identifier, "hash"},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto added = add_extension(c, issuer, nid, value); !added) return added;
  }
  if (req.kind == CertKind::server) {
    if (auto sans = add_subject_alt_names(c, req); !sans) return sans;
  }
  if (X509_sign(c, ca_key->get(), EVP_sha256()) <= 0) {
    return openssl_failure("cannot sign certificate");
  }

  auto key_pem = pem_of_key(key->get());
  if (!key_pem) return fail(key_pem.error());
  auto cert_pem = pem_of_cert(c);
  if (!cert_pem) return fail(cert_pem.error());
  if (auto w = write_new_file(out_key, *key_pem, 0600); !w) return w;
  if (auto w = write_new_file(out_cert, *cert_pem, 0644); !w) {
    fs::remove(out_key, ec);
    return w;
  }
  return ok();
}

}  // namespace relman::pki
