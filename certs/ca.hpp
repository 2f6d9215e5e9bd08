// The relman PKI: one CA (ECDSA P-256, so browsers accept the controller's certificate)
// issues the controller's server certificate and each agent's client certificate. An agent
// certificate's subject CN is the agent id, and its extended key usage is clientAuth only, so
// it cannot serve; a server certificate is serverAuth only, so it cannot act as an agent.
//
// CA directory layout: ca.key (0600), ca.crt, serial (next serial number, decimal).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace relman::pki {

// Creates dir (0700 if new) with ca.key and ca.crt; pki.exists if ca.key is already there.
Result<void> init_ca(const std::filesystem::path& dir, const std::string& common_name,
                     int valid_days = 3650);

enum class CertKind { server, agent, client };  // client: a person or tool using the API

struct IssueRequest {
  CertKind kind = CertKind::server;
  std::string common_name;                // agent: the agent id ([A-Za-z0-9._-]{1,64})
  std::vector<std::string> dns_names;     // server only
  std::vector<std::string> ip_addresses;  // server only
  int valid_days = 825;
};

// Writes out_cert (PEM) and out_key (PEM, 0600) atomically. Errors: pki.ca_missing,
// pki.invalid_name, pki.invalid_ip, pki.exists (refuses to overwrite), pki.openssl.
Result<void> issue_certificate(const std::filesystem::path& ca_dir, const IssueRequest& req,
                               const std::filesystem::path& out_cert,
                               const std::filesystem::path& out_key);

bool is_valid_agent_id(std::string_view id);

}  // namespace relman::pki
