// Plain records the Store reads and writes. Times are unix seconds (UTC).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/inventory/reconcile_plan.hpp"
#include "controller/inventory/stored_inventory.hpp"
#include "controller/store/release_records.hpp"

namespace relman::controller {

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string password_hash;
  std::string role;  // the role given at creation (kept for display; roles below decide)
  std::vector<std::string> roles;   // effective: the user's own and its groups', sorted
  std::vector<std::string> groups;  // names of the groups it is a member of, sorted
};

struct GroupRecord {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> roles;    // sorted
  std::vector<std::string> members;  // user names, sorted
};

struct PackageRecord {
  std::int64_t id = 0;
  std::string name;
  std::string version;
  std::string platform;
  std::string payload_kind;
  std::string description;
  std::string sha256;           // of the package file; also its name in the DML
  std::string manifest_sha256;  // of the canonical manifest
  std::int64_t size = 0;
  std::int64_t file_count = 0;
  std::string status;  // uploaded | tested | authorized | revoked (dml/package_lifecycle.hpp)
  std::string uploaded_by;
  std::int64_t uploaded_at = 0;
  std::vector<std::string> signer_key_ids;
  std::string status_changed_by;  // the last transition's; empty while uploaded
  std::int64_t status_changed_at = 0;
  std::string status_reason;
};

// What a package transition did: the record after it, and (on revoke) the deployment
// targets that had not been sent yet and were failed with package.revoked.
struct PackageTransitionResult {
  PackageRecord package;
  std::int64_t cancelled_targets = 0;
};

// A file attached to a release; its bytes are in the AttachmentStore under `sha256`.
struct AttachmentRecord {
  std::int64_t id = 0;
  std::int64_t release_id = 0;
  std::string name;
  std::string sha256;
  std::int64_t size = 0;
  std::string media_type;  // as declared at upload; downloads are always octet-stream
  std::string added_by;
  std::int64_t added_at = 0;
};

// When a target entered a phase (an agent's DeployProgress phases, then its final phase).
struct PhaseTime {
  std::string phase;
  std::int64_t started_at = 0;
};

struct TargetRecord {
  std::int64_t id = 0;
  std::int64_t deployment_id = 0;
  std::string host_id;
  // pending: no order yet | sent: order signed, stored and sent | in_progress: agent reported
  // progress | succeeded | failed
  std::string status = "pending";
  std::string phase;  // the last reported phase; when finished, the final phase (done, ...)
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
  std::string error_code;
  std::string message;
  std::string order_id;
  std::string order_message;  // the exact signed message text that was sent (re-sent verbatim)
  std::string installed_version;
  std::string output;  // the tail of the hooks' output the agent sent with its result
  std::int64_t sent_at = 0;
  std::int64_t started_at = 0;  // first progress report from the agent
  std::int64_t finished_at = 0;
  std::int64_t updated_at = 0;
  std::vector<PhaseTime> phases;  // in order
};

struct DeploymentRecord {
  std::int64_t id = 0;
  std::int64_t release_id = 0;
  std::int64_t package_id = 0;
  std::string package_name;
  std::string package_version;
  std::string created_by;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool allow_downgrade = false;
  std::string action = "install";  // "install" | "rollback" (hosts go back from the package)
  std::int64_t rollback_of = 0;    // for a rollback: the deployment it undoes
  std::vector<TargetRecord> targets;
  // Derived from the targets: pending | in_progress | succeeded | failed
  std::string status() const;
};

struct HostRecord {
  std::string agent_id;
  std::string hostname;
  std::string os;
  bool connected = false;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  // The last inventory report as a document (protocol::inventory_document: no "type", no
  // "hash"; assembled from its stored form, controller/inventory/stored_inventory.hpp), the hash
  // that names it (what the agent's next delta builds on; empty before the first report) and when
  // it was stored.
  std::string inventory_json;
  std::string inventory_hash;
  std::int64_t inventory_at = 0;

  // Not connected, and last seen before `stale_before` (see HostQuery).
  bool is_stale(std::int64_t stale_before) const { return !connected && last_seen < stale_before; }
};

// A verified inventory report for Store::record_inventory.
struct InventoryUpdate {
  std::string hostname;
  std::string os;
  std::string document_json;  // the skeleton's canonical text (or a whole document)
  std::string hash;
  // For a delta: store only while the stored hash is still this one (inventory.base_mismatch
  // otherwise), so two deltas never build on the same base. Empty for a full report.
  std::string base_hash;
  // What the report changes in the CMDB, applied in the same transaction; none: no CI changes.
  std::optional<inventory::ReconcilePlan> plan;
  // The collections' parts to store (controller/inventory/stored_inventory.hpp); with
  // `whole_collections` they are all the host has now, and its other stored parts are dropped.
  inventory::Parts collections;
  bool whole_collections = false;
  // The host's dpkg, rpm and relman items are stored in its inventory_installed rows (each row
  // the line of its one item, from the plan's software_lines; migration 26), not in parts:
  // `collections`' parts of those lists are not written. The store keeps them in parts after
  // all when a full report's items do not map one to one onto software CIs. Without a plan the
  // items stay where they are; with one, an update that is not `whole_collections` must name
  // where they are (inventory.base_mismatch otherwise: it was applied to the other layout).
  bool software_rows = false;
};

// What a delta reads of a host's stored report: its hash, the skeleton and the collections
// asked for (what Store::update_inventory passes to a delta's apply).
struct StoredInventoryRecord {
  std::string hash;
  std::string skeleton_json;
  inventory::Parts collections;  // with the software items asked for, from rows or parts
  bool software_rows = false;    // the host's software items are in its installed rows
};

// One change a reconciled inventory report made (inventory_changes): action is
// software.installed | software.removed | software.changed | hardware.added |
// hardware.changed | hardware.removed | inventory.baseline (a host's first software list,
// one entry with the count).
struct InventoryChange {
  std::int64_t id = 0;
  std::int64_t host_ci_id = 0;
  std::int64_t ci_id = 0;
  std::string action;
  std::string detail_json;
  std::string report_hash;
  std::int64_t at = 0;
};

// A software CI installed_on a host CI.
struct SoftwareInstall {
  std::int64_t host_ci_id = 0;
  std::string host_name;
  std::string agent_id;  // empty for a host CI no agent reports
  std::int64_t software_ci_id = 0;
  std::string manager;
  std::string name;
  std::string version;
  std::string architecture;
  std::int64_t since = 0;  // when the relationship was recorded
};

// Which hosts GET /hosts lists. A host is stale when it is not connected and was last seen
// before `stale_before` (unix seconds).
struct HostQuery {
  std::int64_t stale_before = 0;
  std::optional<bool> stale;  // only stale (true) or only fresh (false) hosts; all when unset
  // Assemble each host's last report into inventory_json (left empty when false: a list that
  // shows no inventory need not read every host's collections).
  bool inventory = true;
};

// A target the gateway must deliver, with what it needs to build the order.
struct Delivery {
  TargetRecord target;
  DeploymentRecord deployment;  // targets left empty
  PackageRecord package;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t at = 0;
  std::string actor;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string detail_json;
};

// Narrows the audit log; empty fields match everything.
struct AuditQuery {
  std::string actor;
  std::string object_type;
  std::string object_id;
  std::string action_prefix;  // "release." matches every release action
};

struct Page {
  std::int64_t limit = 50;  // 1..500
  std::int64_t offset = 0;
};

}  // namespace relman::controller
