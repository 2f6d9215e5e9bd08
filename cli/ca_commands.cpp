// relman ca init|issue: the offline PKI commands. They work on files only.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "certs/ca.hpp"
#include "cli/commands.hpp"

namespace relman::cli {
namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string dir;
  std::string common_name = "relman CA";
  int days = 3650;
};

struct IssueOptions {
  std::string ca_dir;
  std::string kind;
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string cert;
  std::string key;
  int days = 825;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Subject, serial and expiry of a certificate file, for the command's report.
Result<std::string> describe_certificate(const fs::path& path) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> in(BIO_new_file(path.c_str(), "r"), &BIO_free_all);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) return fail("pki.read_failed", "cannot read the certificate back", path.string());

  std::unique_ptr<BIO, decltype(&BIO_free_all)> out(BIO_new(BIO_s_mem()), &BIO_free_all);
  if (!out) return fail("pki.openssl", "out of memory");
  std::string text = "subject: ";
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  text += bio_text(out.get()) + "\nserial:  ";
  (void)BIO_reset(out.get());

  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
  text += hex ? hex : "?";
  OPENSSL_free(hex);

  ASN1_TIME_print(out.get(), X509_get0_notAfter(cert.get()));
  text += "\nexpires: " + bio_text(out.get());
  return text;
}

}  // namespace

void add_ca_commands(CLI::App& app, CommandStatus& status) {
  auto* ca = app.add_subcommand("ca", "The relman PKI: create the CA, issue certificates");
  ca->require_subcommand(1);

  auto init_opts = std::make_shared<InitOptions>();
  auto* init = ca->add_subcommand("init", "Create a CA (ECDSA P-256) in a new directory");
  init->add_option("--dir", init_opts->dir, "CA directory (created 0700 if new)")->required();
  init->add_option("--cn", init_opts->common_name, "CA common name")->capture_default_str();
  init->add_option("--days", init_opts->days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  init->callback([init_opts, &status] {
    auto done = pki::init_ca(init_opts->dir, init_opts->common_name, init_opts->days);
    if (!done) return report_error(status, done.error());
    fs::path dir = init_opts->dir;
    std::cout << "wrote " << (dir / "ca.key").string() << " (CA private key, mode 0600)\n"
              << "wrote " << (dir / "ca.crt").string()
              << " (CA certificate, CN=" << init_opts->common_name << ", " << init_opts->days
              << " days)\n"
              << "wrote " << (dir / "serial").string() << " (next serial number)\n";
  });

  auto issue_opts = std::make_shared<IssueOptions>();
  auto* issue = ca->add_subcommand("issue", "Issue a server, agent or client certificate");
  issue->add_option("--dir", issue_opts->ca_dir, "CA directory")->required();
  issue->add_option("--kind", issue_opts->kind, "server | agent | client")
      ->required()
      ->check(CLI::IsMember({"server", "agent", "client"}));
  issue->add_option("--cn", issue_opts->common_name, "Common name (for an agent: its agent id)")
      ->required();
  issue->add_option("--dns", issue_opts->dns_names, "DNS name for a server (repeatable)");
  issue->add_option("--ip", issue_opts->ip_addresses, "IP address for a server (repeatable)");
  issue->add_option("--cert", issue_opts->cert, "Certificate file to write (PEM)")->required();
  issue->add_option("--key", issue_opts->key, "Private key file to write (PEM, 0600)")->required();
  issue->add_option("--days", issue_opts->days, "Validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  issue->callback([issue_opts, &status] {
    pki::IssueRequest req;
    req.kind = issue_opts->kind == "agent"    ? pki::CertKind::agent
               : issue_opts->kind == "client" ? pki::CertKind::client
                                              : pki::CertKind::server;
    req.common_name = issue_opts->common_name;
    req.dns_names = issue_opts->dns_names;
    req.ip_addresses = issue_opts->ip_addresses;
    req.valid_days = issue_opts->days;
    auto done = pki::issue_certificate(issue_opts->ca_dir, req, issue_opts->cert, issue_opts->key);
    if (!done) return report_error(status, done.error());
    auto about = describe_certificate(issue_opts->cert);
    if (!about) return report_error(status, about.error());
    std::cout << "wrote " << issue_opts->cert << " (certificate)\n"
              << "wrote " << issue_opts->key << " (private key, mode 0600)\n"
              << *about << "\n";
  });
}

}  // namespace relman::cli
