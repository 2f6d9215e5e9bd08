// relman-controller's configuration file (JSON). Relative paths are taken from the config
// file's directory. Unknown keys are refused so that a typo does not silently fall back to a
// default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "controller/events/webhook.hpp"
#include "controller/releases/attachment_store.hpp"
#include "controller/releases/priority.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct ControllerConfig {
  std::string listen = "127.0.0.1";  // address to bind; "0.0.0.0" or "::" for all
  std::uint16_t port = 8443;         // 0 picks a free port (written to ready_file)
  std::filesystem::path data_dir;    // database, DML, uploads
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::filesystem::path client_ca;          // the agent CA
  std::filesystem::path order_signing_key;  // Ed25519 private key (PEM)
  std::filesystem::path trust_file;         // trust.json: publishers allowed into the DML
  std::int64_t order_ttl_seconds = 3600;    // default deployment deadline
  std::int64_t session_ttl_seconds = 12 * 3600;
  int threads = 0;                          // network threads; 0: one per core
  std::int64_t hello_timeout_seconds = 30;  // an agent must say hello this soon after connecting
  // A host that is not connected and was last seen longer ago than this is stale.
  std::int64_t host_stale_after_seconds = 86400;
  std::filesystem::path ready_file;     // optional: "<port>\n" written once listening
  std::vector<WebhookConfig> webhooks;  // where events are POSTed (signed)
  std::uint64_t attachment_max_bytes = kDefaultAttachmentMaxBytes;  // per attached file
  // Release priority from impact × urgency (releases/priority.hpp has the JSON form).
  PriorityMatrix priority_matrix = default_priority_matrix();
  // Package names that must not run anywhere: a report that shows one on a host is audited as
  // inventory.blacklisted_software (so it reaches the event stream and webhooks).
  std::vector<std::string> software_blacklist;

  std::filesystem::path database() const { return data_dir / "relman.db"; }
  std::filesystem::path dml_dir() const { return data_dir / "dml"; }
  std::filesystem::path upload_dir() const { return data_dir / "uploads"; }
  std::filesystem::path webhook_dir() const { return data_dir / "webhooks"; }
  std::filesystem::path attachment_dir() const { return data_dir / "attachments"; }
};

// Errors: config.read_failed, config.invalid (context = key), protocol.* for types.
Result<ControllerConfig> load_controller_config(const std::filesystem::path& file);

}  // namespace relman::controller
