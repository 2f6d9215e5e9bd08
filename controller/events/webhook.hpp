// Webhooks: every event whose type a webhook asked for is POSTed to it as JSON over HTTPS,
// signed with HMAC-SHA256 so the receiver can tell it came from this controller and was not
// replayed, in order, and retried with exponential backoff while the receiver fails. Each
// webhook's delivery cursor (the last event id it accepted) is kept in a file in the data
// directory, so deliveries continue after a restart without gaps or repeats.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/events/event_bus.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct WebhookConfig {
  std::string name;  // [a-z0-9_-], unique; names the cursor file
  std::string url;   // https://host[:port]/path
  std::string host;
  std::uint16_t port = 443;
  std::string target = "/";  // path and query
  std::string secret;        // read from secret_file (never logged)
  std::string types;         // EventFilter spec; "" for every event
  // Only the notifications addressed to one of these (recipients.users / recipients.groups
  // of the event's detail); both empty: every event (of `types`).
  std::set<std::string> users;
  std::set<std::string> groups;
  std::filesystem::path ca_file;  // empty: the system's trusted CAs
  int max_attempts = 10;          // per event, then it is skipped (and logged)
  std::chrono::seconds timeout{10};
};

// The "webhooks" array of controller.json: [{name, url, secret_file, types?, users?, groups?,
// ca_file?, max_attempts?, timeout_seconds?}]. `resolve` turns a relative path into one beside the
// config file. Errors: config.invalid with the key ("webhooks[1].url").
Result<std::vector<WebhookConfig>> parse_webhook_configs(
    const nlohmann::json& array,
    const std::function<std::filesystem::path(const std::string&)>& resolve);

// X-Relman-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
std::string webhook_signature(const std::string& secret, std::int64_t timestamp,
                              const std::string& body);

// The wait before attempt `attempt` (1-based) after a failure: 1 s, 2 s, 4 s, ... at most
// 5 minutes.
std::chrono::milliseconds webhook_backoff(int attempt);

}  // namespace relman::controller
