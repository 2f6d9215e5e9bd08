// The agent <-> controller wire contract: one JSON object per WebSocket text message, with a
// "type" field naming the message. decode_message validates everything it reads and names the
// offending field in its error; it never throws. Unknown fields are refused inside the signed
// deploy order and tolerated elsewhere (forward compatibility within a protocol version).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "protocol/inventory_delta.hpp"

namespace relman::protocol {

// Versions this build speaks; the hello offers them, the controller picks the highest common.
inline constexpr int kMinProtocolVersion = 1;
inline constexpr int kMaxProtocolVersion = 1;

// Agent -> controller, first message on a connection.
struct Hello {
  std::string agent_id;                // must equal the client certificate's subject CN
  std::string agent_version;           // e.g. "0.1.0"
  std::vector<int> protocol_versions;  // 1..16 entries, each 1..1000
};

// Controller -> agent, answer to Hello.
struct HelloAck {
  int protocol_version = 0;
  std::string controller_version;
};

// Agent -> controller: the full inventory. Basic host facts; richer collectors extend `facts`
// (tolerated JSON). `hash` is inventory_hash(inventory_document(report)): it names the report
// that later deltas build on.
struct InventoryReport {
  std::string hostname;
  std::string os_id;         // /etc/os-release ID, e.g. "debian"; may be empty
  std::string os_version;    // VERSION_ID, may be empty
  std::string os_pretty;     // PRETTY_NAME, may be empty
  std::string kernel;        // uname release
  std::string architecture;  // uname machine, e.g. "x86_64"
  std::string cpu_model;     // may be empty
  std::int64_t cpu_count = 0;
  std::int64_t memory_mb = 0;
  nlohmann::json facts = nlohmann::json::object();  // anything else; bounded by frame size
  std::string hash;                                 // 64 lowercase hex
};

// Agent -> controller: what changed since the report named base_hash (the last one the
// controller acknowledged); applying `changes` to it gives the report named `hash`.
struct InventoryDelta {
  std::string base_hash;
  std::string hash;
  InventoryChanges changes;
};

// Controller -> agent: the report named `hash` is stored; later deltas may build on it.
struct InventoryAck {
  std::string hash;
};

// Controller -> agent: send a report now ("inventory now"); a full one when `full` (the
// controller cannot apply a delta: `reason` says why, e.g. "inventory.base_mismatch").
struct InventoryRequest {
  bool full = false;
  std::string reason;  // empty, or an error code
};

inline constexpr std::string_view kOrderInstall = "install";
inline constexpr std::string_view kOrderRollback = "rollback";

// The signed part of a deploy order. Every field is covered by the controller's signature.
struct DeployOrder {
  std::string order_id;  // unique; an agent never executes one twice
  std::int64_t deployment_id = 0;
  std::string host_id;  // the agent id this order is for
  std::string package_name;
  std::string package_version;
  std::string package_sha256;   // SHA-256 of the package file, lowercase hex
  std::string manifest_sha256;  // SHA-256 of the canonical manifest, lowercase hex
  std::int64_t package_size = 0;
  std::string download_path;    // HTTPS path on the controller, starts with "/api/v1/agent/"
  std::int64_t issued_at = 0;   // unix seconds
  std::int64_t expires_at = 0;  // unix seconds, > issued_at
  bool allow_downgrade = false;
  // kOrderInstall: install package_version. kOrderRollback: the host runs package_version
  // and goes back to the version it ran before (kept on the host; nothing is downloaded).
  // Only a rollback is written on the wire ("action": "rollback"), so the signed bytes of an
  // install order are the same as before the field existed.
  std::string action = std::string(kOrderInstall);
};

// Controller -> agent: an order and the controller's Ed25519 signature over
// canonical_json(to_json(order)).
struct DeployOrderMessage {
  DeployOrder order;
  std::string key_id;     // SHA-256 hex of the raw public key that signed
  std::string signature;  // base64 of the 64-byte Ed25519 signature
};

// Agent -> controller while an order runs.
struct DeployProgress {
  std::string order_id;
  std::int64_t deployment_id = 0;
  std::string phase;  // one of kDeployPhases
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
};

// Phases an order passes through while it runs (DeployProgress.phase).
inline constexpr std::string_view kDeployPhases[] = {"queued",     "downloading",  "verifying",
                                                     "installing", "health_check", "rolling_back"};
// How an order ended (DeployResult.phase): done (the order's version runs), failed (refused or
// failed before the host changed), rolled_back (the host went back to its previous version:
// a rollback order, or an install undone after a failed hook or an interrupted install).
inline constexpr std::string_view kDeployFinalPhases[] = {"done", "failed", "rolled_back"};
inline constexpr std::size_t kMaxHookOutputBytes = 4096;  // DeployResult.output

// Agent -> controller when an order ends, or is refused.
struct DeployResult {
  std::string order_id;
  std::int64_t deployment_id = 0;
  std::string status;   // "succeeded" | "failed"
  std::string code;     // error code when failed, e.g. "order.wrong_host"; empty on success
  std::string message;  // human text, <= 4096 bytes
  std::string installed_version;  // what the host runs now (may be empty)
  std::string phase;              // one of kDeployFinalPhases; "" reads as done / failed
  std::string output;  // the tail of the hooks' output (<= kMaxHookOutputBytes), may be empty
};

// Either side, to keep the connection alive and measure it.
struct Heartbeat {
  std::int64_t sent_at = 0;  // unix milliseconds
};

// Either side: why the sender is about to close or refuse something.
struct ErrorMessage {
  std::string code;
  std::string message;
};

using Message =
    std::variant<Hello, HelloAck, InventoryReport, DeployOrderMessage, DeployProgress, DeployResult,
                 Heartbeat, ErrorMessage, InventoryDelta, InventoryAck, InventoryRequest>;

// "hello", "hello_ack", "inventory", "deploy_order", "deploy_progress", "deploy_result",
// "heartbeat", "error", "inventory_delta", "inventory_ack", "inventory_request".
std::string_view message_type(const Message& m);

// Text of one WebSocket message. Never fails for a well-formed struct.
std::string encode_message(const Message& m);

// Validates size (kMaxFrameBytes; kMaxInventoryBytes for inventory reports and deltas), JSON
// syntax, "type", and every field of that type.
// Errors: protocol.frame_too_large, protocol.malformed_json, protocol.not_an_object,
// protocol.missing_field, protocol.wrong_type, protocol.unknown_type, protocol.out_of_range,
// protocol.too_long, protocol.empty_field, protocol.invalid_value, protocol.unknown_field
// (inside the order only). Error.context names the field, e.g. "order.host_id".
Result<Message> decode_message(std::string_view text);

// The report as a document (every field but "type" and "hash"), normalized
// (normalize_inventory): what inventory_hash names and deltas change.
nlohmann::json inventory_document(const InventoryReport& report);
// The same document not normalized, for a report decoded from a message (its strings are valid
// UTF-8 already): inventory_hash does not depend on the collections' order.
nlohmann::json decoded_inventory_document(const InventoryReport& report);
// The same, its facts moved out of `report` (a full report's are 1,500 packages: no copy).
nlohmann::json decoded_inventory_document(InventoryReport&& report);

// The order's JSON object (the bytes that are signed are canonical_json of this).
nlohmann::json to_json(const DeployOrder& order);
Result<DeployOrder> deploy_order_from_json(const nlohmann::json& j);

// Highest version in [kMinProtocolVersion, kMaxProtocolVersion] that `offered` contains;
// protocol.version_unsupported otherwise.
Result<int> negotiate_version(const std::vector<int>& offered);

}  // namespace relman::protocol
