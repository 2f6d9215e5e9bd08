#include "protocol/messages.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "protocol/base64.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::protocol {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxMessageText = 4096;    // DeployResult.message, ErrorMessage.message
constexpr std::size_t kMaxHostFieldText = 256;   // hostnames, kernel, OS and CPU names
constexpr std::size_t kMaxDownloadPath = 1024;   // an HTTPS path on the controller
constexpr std::size_t kMaxVersionsOffered = 16;  // Hello.protocol_versions
constexpr int kMaxVersionNumber = 1000;
constexpr std::size_t kSha256HexLength = 64;
constexpr std::size_t kEd25519SignatureBytes = 64;
constexpr std::string_view kAgentApiPrefix = "/api/v1/agent/";

template <class>
inline constexpr bool kAlwaysFalse = false;

bool is_lower_hex_sha256(std::string_view s) {
  return s.size() == kSha256HexLength && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Reads a SHA-256 field: exactly 64 lowercase hex characters.
std::string read_sha256(JsonReader& r, std::string_view key) {
  std::string s = r.string(key, kSha256HexLength);
  if (r.ok() && !is_lower_hex_sha256(s)) {
    r.reject(key, "protocol.invalid_value", "field must be 64 lowercase hexadecimal characters");
  }
  return s;
}

// The download path is requested from the controller as given, so it must stay inside the
// agent API and must not climb out of it or smuggle anything into the request line.
bool is_valid_download_path(std::string_view p) {
  if (!p.starts_with(kAgentApiPrefix) || p.size() == kAgentApiPrefix.size()) return false;
  for (char c : p) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '#') return false;
  }
  std::size_t pos = 0;
  while (pos <= p.size()) {
    std::size_t end = p.find('/', pos);
    if (end == std::string_view::npos) end = p.size();
    std::string_view segment = p.substr(pos, end - pos);
    if (segment == "." || segment == "..") return false;
    pos = end + 1;
  }
  return true;
}

bool is_version_number(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    return u >= 1 && u <= kMaxVersionNumber;
  }
  auto n = v.get<std::int64_t>();
  return n >= 1 && n <= kMaxVersionNumber;
}

// ---- encoding --------------------------------------------------------------------------

nlohmann::json body(const Hello& m) {
  return {{"agent_id", m.agent_id},
          {"agent_version", m.agent_version},
          {"protocol_versions", m.protocol_versions}};
}

nlohmann::json body(const HelloAck& m) {
  return {{"protocol_version", m.protocol_version}, {"controller_version", m.controller_version}};
}

nlohmann::json report_fields(const InventoryReport& m) {
  return {{"hostname", m.hostname},   {"os_id", m.os_id},         {"os_version", m.os_version},
          {"os_pretty", m.os_pretty}, {"kernel", m.kernel},       {"architecture", m.architecture},
          {"cpu_model", m.cpu_model}, {"cpu_count", m.cpu_count}, {"memory_mb", m.memory_mb},
          {"facts", m.facts}};
}

nlohmann::json body(const InventoryReport& m) {
  auto j = report_fields(m);
  j["hash"] = m.hash;
  return j;
}

nlohmann::json body(const InventoryDelta& m) {
  nlohmann::json j = {{"base_hash", m.base_hash}, {"hash", m.hash}};
  write_inventory_changes(m.changes, j);
  return j;
}

nlohmann::json body(const InventoryAck& m) { return {{"hash", m.hash}}; }

nlohmann::json body(const InventoryRequest& m) { return {{"full", m.full}, {"reason", m.reason}}; }

nlohmann::json body(const DeployOrderMessage& m) {
  return {{"order", to_json(m.order)}, {"key_id", m.key_id}, {"signature", m.signature}};
}

nlohmann::json body(const DeployProgress& m) {
  return {{"order_id", m.order_id},
          {"deployment_id", m.deployment_id},
          {"phase", m.phase},
          {"bytes_done", m.bytes_done},
          {"bytes_total", m.bytes_total}};
}

nlohmann::json body(const DeployResult& m) {
  nlohmann::json j = {{"order_id", m.order_id}, {"deployment_id", m.deployment_id},
                      {"status", m.status},     {"code", m.code},
                      {"message", m.message},   {"installed_version", m.installed_version}};
  if (!m.phase.empty()) j["phase"] = m.phase;
  if (!m.output.empty()) j["output"] = m.output;
  return j;
}

nlohmann::json body(const Heartbeat& m) { return {{"sent_at", m.sent_at}}; }

nlohmann::json body(const ErrorMessage& m) { return {{"code", m.code}, {"message", m.message}}; }

// ---- decoding --------------------------------------------------------------------------
// Each reader is tolerant (unknown fields ignored); the signed order is the strict exception.

Result<Message> read_hello(JsonReader& r) {
  Hello m;
  m.agent_id = r.string("agent_id");
  m.agent_version = r.string("agent_version");
  if (const auto* versions = r.array("protocol_versions", kMaxVersionsOffered)) {
    if (versions->empty()) {
      r.reject("protocol_versions", "protocol.invalid_value",
               "at least one protocol version must be offered");
    }
    for (std::size_t i = 0; i < versions->size() && r.ok(); ++i) {
      const auto& v = (*versions)[i];
      std::string item = "protocol_versions[" + std::to_string(i) + "]";
      if (!v.is_number_integer()) {
        r.reject(item, "protocol.wrong_type", "protocol version must be an integer");
      } else if (!is_version_number(v)) {
        r.reject(item, "protocol.out_of_range",
                 "protocol version must be between 1 and " + std::to_string(kMaxVersionNumber));
      } else {
        m.protocol_versions.push_back(v.get<int>());
      }
    }
  }
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_hello_ack(JsonReader& r) {
  HelloAck m;
  m.protocol_version = static_cast<int>(r.integer("protocol_version", 1, kMaxVersionNumber));
  m.controller_version = r.string("controller_version");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_inventory(JsonReader& r) {
  InventoryReport m;
  m.hostname = r.string("hostname", kMaxHostFieldText);
  // Only the hostname is required: a host without os-release must still be able to report.
  m.os_id = r.string("os_id", kMaxIdLength, /*allow_empty=*/true);
  m.os_version = r.string("os_version", kMaxIdLength, /*allow_empty=*/true);
  m.os_pretty = r.string("os_pretty", kMaxHostFieldText, /*allow_empty=*/true);
  m.kernel = r.string("kernel", kMaxHostFieldText, /*allow_empty=*/true);
  m.architecture = r.string("architecture", kMaxIdLength, /*allow_empty=*/true);
  m.cpu_model = r.string("cpu_model", kMaxHostFieldText, /*allow_empty=*/true);
  m.cpu_count = r.integer("cpu_count", 0, 1 << 20);
  m.memory_mb = r.integer("memory_mb", 0, kInt64Max);
  if (const auto* facts = r.optional_object("facts")) m.facts = *facts;
  m.hash = read_sha256(r, "hash");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_inventory_delta(JsonReader& r, const nlohmann::json& doc) {
  InventoryDelta m;
  m.base_hash = read_sha256(r, "base_hash");
  m.hash = read_sha256(r, "hash");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  auto changes = read_inventory_changes(doc);
  if (!changes) return fail(changes.error());
  m.changes = std::move(*changes);
  return m;
}

Result<Message> read_inventory_ack(JsonReader& r) {
  InventoryAck m;
  m.hash = read_sha256(r, "hash");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_inventory_request(JsonReader& r) {
  InventoryRequest m;
  m.full = r.optional_boolean("full").value_or(false);
  m.reason = r.optional_string("reason").value_or("");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_deploy_order(JsonReader& r) {
  DeployOrderMessage m;
  const auto* order = r.object("order");
  m.key_id = r.string("key_id", kSha256HexLength);
  if (r.ok() && !is_lower_hex_sha256(m.key_id)) {
    r.reject("key_id", "protocol.invalid_value",
             "key id must be 64 lowercase hexadecimal characters");
  }
  m.signature = r.string("signature", 4 * ((kEd25519SignatureBytes + 2) / 3));
  if (r.ok()) {
    auto raw = base64_decode(m.signature);
    if (!raw || raw->size() != kEd25519SignatureBytes) {
      r.reject("signature", "protocol.invalid_value",
               "signature must be the base64 of a 64-byte Ed25519 signature");
    }
  }
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  auto parsed = deploy_order_from_json(*order);
  if (!parsed) return fail(parsed.error());
  m.order = std::move(*parsed);
  return m;
}

Result<Message> read_deploy_progress(JsonReader& r) {
  DeployProgress m;
  m.order_id = r.string("order_id");
  m.deployment_id = r.integer("deployment_id", 1, kInt64Max);
  m.phase = r.string("phase");
  if (r.ok() && std::find(std::begin(kDeployPhases), std::end(kDeployPhases), m.phase) ==
                    std::end(kDeployPhases)) {
    r.reject("phase", "protocol.invalid_value", "unknown deploy phase '" + m.phase + "'");
  }
  m.bytes_done = r.integer("bytes_done", 0, kInt64Max);
  m.bytes_total = r.integer("bytes_total", 0, kInt64Max);
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_deploy_result(JsonReader& r) {
  DeployResult m;
  m.order_id = r.string("order_id");
  m.deployment_id = r.integer("deployment_id", 1, kInt64Max);
  m.status = r.string("status");
  if (r.ok() && m.status != "succeeded" && m.status != "failed") {
    r.reject("status", "protocol.invalid_value", "status must be 'succeeded' or 'failed'");
  }
  m.code = r.optional_string("code").value_or("");
  if (r.ok() && m.status == "failed" && m.code.empty()) {
    r.reject("code", "protocol.invalid_value", "a failed result must carry an error code");
  }
  m.message = r.optional_string("message", kMaxMessageText).value_or("");
  m.installed_version = r.optional_string("installed_version").value_or("");
  m.phase = r.optional_string("phase").value_or(m.status == "succeeded" ? "done" : "failed");
  if (r.ok()) {
    bool known = std::find(std::begin(kDeployFinalPhases), std::end(kDeployFinalPhases), m.phase) !=
                 std::end(kDeployFinalPhases);
    // "done" means the order's version runs; a failure never ends there, and a success never
    // ends in "failed".
    if (!known || (m.phase == "done" && m.status != "succeeded") ||
        (m.phase == "failed" && m.status != "failed")) {
      r.reject("phase", "protocol.invalid_value",
               "final phase '" + m.phase + "' does not fit status '" + m.status + "'");
    }
  }
  m.output = r.optional_string("output", kMaxHookOutputBytes).value_or("");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_heartbeat(JsonReader& r) {
  Heartbeat m;
  m.sent_at = r.integer("sent_at", 0, kInt64Max);
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

Result<Message> read_error(JsonReader& r) {
  ErrorMessage m;
  m.code = r.string("code");
  m.message = r.string("message", kMaxMessageText, /*allow_empty=*/true);
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return m;
}

}  // namespace

std::string_view message_type(const Message& m) {
  return std::visit(
      [](const auto& v) -> std::string_view {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Hello>)
          return "hello";
        else if constexpr (std::is_same_v<T, HelloAck>)
          return "hello_ack";
        else if constexpr (std::is_same_v<T, InventoryReport>)
          return "inventory";
        else if constexpr (std::is_same_v<T, DeployOrderMessage>)
          return "deploy_order";
        else if constexpr (std::is_same_v<T, DeployProgress>)
          return "deploy_progress";
        else if constexpr (std::is_same_v<T, DeployResult>)
          return "deploy_result";
        else if constexpr (std::is_same_v<T, Heartbeat>)
          return "heartbeat";
        else if constexpr (std::is_same_v<T, ErrorMessage>)
          return "error";
        else if constexpr (std::is_same_v<T, InventoryDelta>)
          return "inventory_delta";
        else if constexpr (std::is_same_v<T, InventoryAck>)
          return "inventory_ack";
        else if constexpr (std::is_same_v<T, InventoryRequest>)
          return "inventory_request";
        else
          static_assert(kAlwaysFalse<T>, "message type without a name");
      },
      m);
}

std::string encode_message(const Message& m) {
  nlohmann::json j = std::visit([](const auto& v) { return body(v); }, m);
  j["type"] = std::string(message_type(m));
  // Invalid UTF-8 from a host field is replaced rather than thrown: encoding never fails.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Message> decode_message(std::string_view text) {
  if (text.size() > kMaxFrameBytes) {
    return fail("protocol.frame_too_large",
                "message is larger than " + std::to_string(kMaxFrameBytes) + " bytes", "message");
  }
  auto doc = parse_json_object(text, kMaxFrameBytes, "message");
  if (!doc) return fail(doc.error());

  JsonReader r(*doc);
  std::string type = r.string("type", 64);
  if (!r.ok()) return fail(*r.error());

  if (type == "hello") return read_hello(r);
  if (type == "hello_ack") return read_hello_ack(r);
  if (type == "inventory" || type == "inventory_delta") {
    if (text.size() > kMaxInventoryBytes) {
      return fail(
          "protocol.frame_too_large",
          "inventory report is larger than " + std::to_string(kMaxInventoryBytes) + " bytes",
          "inventory");
    }
    return type == "inventory" ? read_inventory(r) : read_inventory_delta(r, *doc);
  }
  if (type == "inventory_ack") return read_inventory_ack(r);
  if (type == "inventory_request") return read_inventory_request(r);
  if (type == "deploy_order") return read_deploy_order(r);
  if (type == "deploy_progress") return read_deploy_progress(r);
  if (type == "deploy_result") return read_deploy_result(r);
  if (type == "heartbeat") return read_heartbeat(r);
  if (type == "error") return read_error(r);
  return fail("protocol.unknown_type", "unknown message type '" + type + "'", "type");
}

nlohmann::json inventory_document(const InventoryReport& report) {
  auto doc = report_fields(report);
  normalize_inventory(doc);
  return doc;
}

nlohmann::json decoded_inventory_document(const InventoryReport& report) {
  return report_fields(report);
}

nlohmann::json decoded_inventory_document(InventoryReport&& report) {
  nlohmann::json facts = std::move(report.facts);
  report.facts = nlohmann::json::object();
  auto doc = report_fields(report);
  doc["facts"] = std::move(facts);
  return doc;
}

nlohmann::json to_json(const DeployOrder& order) {
  nlohmann::json j = {{"order_id", order.order_id},
                      {"deployment_id", order.deployment_id},
                      {"host_id", order.host_id},
                      {"package_name", order.package_name},
                      {"package_version", order.package_version},
                      {"package_sha256", order.package_sha256},
                      {"manifest_sha256", order.manifest_sha256},
                      {"package_size", order.package_size},
                      {"download_path", order.download_path},
                      {"issued_at", order.issued_at},
                      {"expires_at", order.expires_at},
                      {"allow_downgrade", order.allow_downgrade}};
  if (order.action != kOrderInstall) j["action"] = order.action;
  return j;
}

Result<DeployOrder> deploy_order_from_json(const nlohmann::json& j) {
  // Every field is covered by the controller's signature: unknown fields are refused.
  JsonReader r(j, "order");
  DeployOrder o;
  o.order_id = r.string("order_id");
  o.deployment_id = r.integer("deployment_id", 1, kInt64Max);
  o.host_id = r.string("host_id");
  o.package_name = r.string("package_name");
  o.package_version = r.string("package_version");
  o.package_sha256 = read_sha256(r, "package_sha256");
  o.manifest_sha256 = read_sha256(r, "manifest_sha256");
  o.package_size = r.integer("package_size", 0, static_cast<std::int64_t>(kMaxPackageBytes));
  o.download_path = r.string("download_path", kMaxDownloadPath);
  if (r.ok() && !is_valid_download_path(o.download_path)) {
    r.reject("download_path", "protocol.invalid_value",
             "download path must be a plain path under " + std::string(kAgentApiPrefix));
  }
  o.issued_at = r.integer("issued_at", 0, kInt64Max);
  o.expires_at = r.integer("expires_at", 0, kInt64Max);
  if (r.ok() && o.expires_at <= o.issued_at) {
    r.reject("expires_at", "protocol.invalid_value", "order must expire after it was issued");
  }
  o.allow_downgrade = r.boolean("allow_downgrade");
  if (auto action = r.optional_string("action", 16)) {
    // Written only for a rollback (see DeployOrder::action); an explicit "install" would not
    // survive the canonical round trip the signature check makes, so it is refused.
    if (*action != kOrderRollback) {
      r.reject("action", "protocol.invalid_value", "action must be \"rollback\" when present");
    }
    o.action = *action;
  }
  if (auto done = r.finish_strict(); !done) return fail(done.error());
  return o;
}

Result<int> negotiate_version(const std::vector<int>& offered) {
  for (int v = kMaxProtocolVersion; v >= kMinProtocolVersion; --v) {
    if (std::find(offered.begin(), offered.end(), v) != offered.end()) return v;
  }
  return fail("protocol.version_unsupported",
              "no common protocol version: this side speaks " +
                  std::to_string(kMinProtocolVersion) + ".." + std::to_string(kMaxProtocolVersion),
              "protocol_versions");
}

}  // namespace relman::protocol
