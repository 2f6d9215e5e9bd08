// The controller's one persistence interface. Every mutating call is one transaction and
// appends its audit entry in that same transaction. Implemented by SqlStore over the portable
// SQL layer (controller/store/README.md). Calls block: run them off the network threads.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/cmdb/ci.hpp"
#include "controller/rollout/rollout_record.hpp"
#include "controller/store/access_store.hpp"
#include "controller/store/compliance_store.hpp"
#include "controller/store/records.hpp"
#include "controller/store/release_store.hpp"
#include "controller/store/release_type_store.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

// What update_rollout() wrote: the rollout as it is now, the events it audited and the hosts
// that got a new pending target (the gateway should be told).
struct RolloutUpdate {
  rollout::RolloutRecord rollout;
  std::vector<rollout::RolloutEvent> events;
  std::vector<std::string> dispatched;
};

// Changes a loaded rollout (rollout/engine.hpp's functions); may run more than once.
using RolloutChange =
    std::function<Result<std::vector<rollout::RolloutEvent>>(rollout::RolloutRecord&)>;

class Store : public AccessStore,
              public ReleaseStore,
              public ReleaseTypeStore,
              public ComplianceStore {
 public:
  ~Store() override = default;

  // Users and sessions.
  virtual Result<std::int64_t> count_users() = 0;
  virtual Result<User> create_user(const std::string& username, const std::string& password_hash,
                                   const std::string& role, const std::string& actor) = 0;
  virtual Result<std::optional<User>> find_user(const std::string& username) = 0;
  virtual Result<void> create_session(const std::string& token_hash, std::int64_t user_id,
                                      std::int64_t expires_at) = 0;
  virtual Result<std::optional<User>> find_session_user(const std::string& token_hash,
                                                        std::int64_t now) = 0;
  virtual Result<void> delete_session(const std::string& token_hash) = 0;

  // DML. insert_package: dml.version_exists when name+version exists with other content; the
  // same content again returns the existing record.
  virtual Result<PackageRecord> insert_package(const PackageRecord& p,
                                               const std::string& actor) = 0;
  virtual Result<std::optional<PackageRecord>> get_package(std::int64_t id) = 0;
  virtual Result<std::optional<PackageRecord>> find_package_by_sha256(const std::string& sha) = 0;
  virtual Result<std::optional<PackageRecord>> find_package(const std::string& name,
                                                            const std::string& version) = 0;
  virtual Result<std::vector<PackageRecord>> list_packages(const Page& page) = 0;
  // One step of the package lifecycle (test, authorize, revoke), audited as package.<action>
  // with before/after and the reason. Revoking fails the version's pending targets
  // (package.revoked) in the same transaction. package.not_found, package.illegal_transition.
  virtual Result<PackageTransitionResult> transition_package(std::int64_t id,
                                                             const std::string& action,
                                                             const std::string& reason,
                                                             const std::string& actor) = 0;

  // Releases: ReleaseStore (release_store.hpp). A convenience for tests and tools: registers
  // a release with default fields, requested by `actor`.
  Result<ReleaseRecord> create_release(const std::string& title, const std::string& description,
                                       const std::string& actor);
  // Attachments. add: release.not_found, attachment.exists (that name on that release);
  // audited as release.attachment_add.
  virtual Result<AttachmentRecord> add_attachment(const AttachmentRecord& a,
                                                  const std::string& actor) = 0;
  virtual Result<std::vector<AttachmentRecord>> list_attachments(std::int64_t release_id,
                                                                 const Page& page) = 0;
  virtual Result<std::optional<AttachmentRecord>> get_attachment(std::int64_t release_id,
                                                                 std::int64_t id) = 0;
  virtual Result<std::optional<AttachmentRecord>> find_attachment(std::int64_t release_id,
                                                                  const std::string& name) = 0;

  // Deployments and their per-host targets. create_deployment: package.not_authorized or
  // package.revoked unless the version is authorized (checked in the same transaction).
  virtual Result<DeploymentRecord> create_deployment(std::int64_t release_id,
                                                     std::int64_t package_id,
                                                     const std::vector<std::string>& hosts,
                                                     std::int64_t expires_at, bool allow_downgrade,
                                                     const std::string& actor) = 0;
  // A rollback of deployment `of` (same release and package) on `hosts`: each host goes back
  // to the version it ran before. deployment.not_found.
  virtual Result<DeploymentRecord> create_rollback_deployment(std::int64_t of,
                                                              const std::vector<std::string>& hosts,
                                                              std::int64_t expires_at,
                                                              const std::string& actor) = 0;
  virtual Result<std::optional<DeploymentRecord>> get_deployment(std::int64_t id) = 0;
  virtual Result<std::vector<DeploymentRecord>> list_deployments(
      std::optional<std::int64_t> release_id, const Page& page) = 0;

  // Whether `host_id` has an unfinished target for the package with this file hash (only
  // then may it download the package).
  virtual Result<bool> host_awaits_package(const std::string& host_id,
                                           const std::string& sha256) = 0;
  // Targets of `host_id` that are not finished (pending, sent, in_progress), oldest first.
  virtual Result<std::vector<Delivery>> open_deliveries(const std::string& host_id) = 0;
  // pending -> sent, storing the exact signed message; written before it is sent.
  virtual Result<void> record_order(std::int64_t target_id, const std::string& order_id,
                                    const std::string& order_message, std::int64_t now) = 0;
  // Pending targets whose deployment deadline has passed become failed with
  // deploy.expired_before_delivery; returns how many.
  virtual Result<std::int64_t> expire_pending_targets(std::int64_t now) = 0;
  // Marks a target failed on the controller's side (e.g. expired before delivery).
  virtual Result<void> fail_target(std::int64_t target_id, const std::string& code,
                                   const std::string& message, std::int64_t now) = 0;
  // From the agent. Only the host the order was for may report on it: deploy.unknown_order
  // otherwise. A finished target is not changed again (deploy.already_finished).
  virtual Result<void> record_progress(const std::string& host_id, const std::string& order_id,
                                       const std::string& phase, std::int64_t bytes_done,
                                       std::int64_t bytes_total, std::int64_t now) = 0;
  // A phase change also appends to the target's phase timings; the result's final phase
  // (done, failed, rolled_back) becomes the target's phase.
  virtual Result<void> record_result(const std::string& host_id, const std::string& order_id,
                                     bool succeeded, const std::string& code,
                                     const std::string& message,
                                     const std::string& installed_version,
                                     const std::string& final_phase, const std::string& output,
                                     std::int64_t now) = 0;

  // Hosts (agents).
  virtual Result<void> host_connected(const std::string& agent_id, std::int64_t now) = 0;
  virtual Result<void> host_disconnected(const std::string& agent_id, std::int64_t now) = 0;
  virtual Result<void> mark_all_hosts_disconnected() = 0;  // at start
  // Stores a verified inventory report (see InventoryUpdate for deltas). Errors:
  // host.not_found (the agent never said hello), inventory.base_mismatch.
  virtual Result<void> record_inventory(const std::string& agent_id, const InventoryUpdate& update,
                                        std::int64_t now) = 0;
  // A delta's read, apply and store in one write transaction (one connection, no window for
  // another report between the read and the write): passes the host's stored report to
  // `apply` (the collection parts `parts` names, and of a host whose software items are in its
  // installed rows the items its keys name; nullopt: every one; bucket kAllBuckets: every
  // part of that collection; the record is nullopt when there is no such host), and
  // stores the update it returns as record_inventory does; nullopt: nothing to store. `apply`
  // runs inside the transaction, again if the transaction has to run again. Errors: apply's,
  // record_inventory's.
  using InventoryApply =
      std::function<Result<std::optional<InventoryUpdate>>(std::optional<StoredInventoryRecord>)>;
  virtual Result<void> update_inventory(const std::string& agent_id,
                                        const std::optional<inventory::Needed>& parts,
                                        std::int64_t now, const InventoryApply& apply) = 0;
  // One delta of update_inventories: update_inventory's arguments, and its answer once run.
  struct InventoryJob {
    std::string agent_id;
    std::optional<inventory::Needed> parts;
    InventoryApply apply;
    Result<void> result = ok();
  };
  // Group commit: update_inventory for each job, in order, in one write transaction, so the
  // pages every delta writes (the audit and history tails) are written once for all of them. A
  // job reads what the jobs before it stored. A job whose `apply` fails (it runs before the job
  // writes anything) gets that error and stores nothing; the others go on. When storing a job
  // fails, the transaction is rolled back, that job gets the error and the others run again
  // together without it, so one bad delta never undoes another. When the database itself fails
  // (reading a host, committing), every job gets that error and nothing is stored.
  virtual void update_inventories(std::vector<InventoryJob>& jobs, std::int64_t now) = 0;
  virtual Result<std::vector<HostRecord>> list_hosts(const Page& page, const HostQuery& query) = 0;
  virtual Result<std::optional<HostRecord>> get_host(const std::string& agent_id) = 0;

  // Audit log: append-only; the API reads it. Newest first, narrowed by `query`.
  virtual Result<std::vector<AuditEntry>> list_audit(const AuditQuery& query, const Page& page) = 0;
  // Entries with id > after_id, oldest first, at most `limit` (1..500): the event stream.
  virtual Result<std::vector<AuditEntry>> list_audit_after(std::int64_t after_id,
                                                           std::int64_t limit) = 0;

  // CMDB (sql_store_cmdb*.cpp). Every change is checked against controller/cmdb's rules inside
  // its transaction, stores the new version whole (a restore point) and appends its audit
  // entry. Errors: cmdb.ci_not_found, cmdb.unknown_class, cmdb.invalid_* (the rules),
  // cmdb.version_conflict (PATCH/restore naming another version), cmdb.class_exists,
  // cmdb.relationship_exists, cmdb.relationship_not_found, cmdb.version_not_found.
  virtual Result<std::vector<cmdb::CiClass>> list_ci_classes() = 0;  // built-in first
  virtual Result<std::optional<cmdb::CiClass>> get_ci_class(const std::string& name) = 0;
  virtual Result<cmdb::CiClass> create_ci_class(const cmdb::CiClass& c,
                                                const std::string& actor) = 0;
  virtual Result<cmdb::CiRecord> create_ci(const cmdb::CiDraft& d, const std::string& actor) = 0;
  virtual Result<std::optional<cmdb::CiRecord>> get_ci(std::int64_t id) = 0;
  virtual Result<std::vector<cmdb::CiRecord>> list_cis(const cmdb::CiFilter& f,
                                                       const Page& page) = 0;
  // A patch that changes nothing returns the CI as it is (no new version).
  virtual Result<cmdb::CiRecord> update_ci(std::int64_t id, const cmdb::CiPatch& patch,
                                           const std::string& actor) = 0;
  virtual Result<std::vector<cmdb::CiVersionRecord>> ci_history(std::int64_t id,
                                                                const Page& page) = 0;
  // A new version equal to `version`'s state.
  virtual Result<cmdb::CiRecord> restore_ci(std::int64_t id, std::int64_t version,
                                            std::optional<std::int64_t> expected_version,
                                            const std::string& actor) = 0;
  virtual Result<cmdb::RelationshipRecord> create_relationship(std::int64_t from_id,
                                                               const std::string& type,
                                                               std::int64_t to_id,
                                                               const std::string& actor) = 0;
  virtual Result<std::vector<cmdb::RelationshipRecord>> ci_relationships(std::int64_t ci_id) = 0;
  virtual Result<void> delete_relationship(std::int64_t id, const std::string& actor) = 0;
  virtual Result<cmdb::ImpactReport> ci_impact(std::int64_t id) = 0;
  // cmdb::HostFacts for the planner, each list sorted; more than kMaxHostFacts rows of a kind
  // is cmdb.too_many_facts.
  virtual Result<cmdb::HostFacts> cmdb_host_facts() = 0;

  // Inventory reconciliation (sql_store_inventory.cpp; reports are reconciled by
  // record_inventory). What reports changed for a CI: for a host CI everything on that host,
  // for a software or hardware CI its own entries; newest first. cmdb.ci_not_found.
  virtual Result<std::vector<InventoryChange>> inventory_changes(std::int64_t ci_id,
                                                                 const Page& page) = 0;
  // The hosts that run package `name` (any manager), in `version` when set; ordered by host.
  virtual Result<std::vector<SoftwareInstall>> hosts_running(
      const std::string& name, const std::optional<std::string>& version, const Page& page) = 0;
  // Rollouts (sql_store_rollouts.cpp). create_rollout stores `draft` (its waves and hosts, in
  // their order) with a new deployment without targets for its orders (expiring at the
  // deadline), audited as rollout.create; the record returned has the ids.
  virtual Result<rollout::RolloutRecord> create_rollout(const rollout::RolloutRecord& draft,
                                                        bool allow_downgrade,
                                                        const std::string& actor) = 0;
  virtual Result<std::optional<rollout::RolloutRecord>> get_rollout(std::int64_t id) = 0;
  // Newest first; of one release when given.
  virtual Result<std::vector<rollout::RolloutRecord>> list_rollouts(
      std::optional<std::int64_t> release_id, const Page& page) = 0;
  // The rollouts the engine must step: running or paused, or with hosts still dispatched.
  virtual Result<std::vector<std::int64_t>> active_rollouts() = 0;
  // One write transaction: loads the rollout (rollout.not_found), lets `change` change it, and
  // writes what changed: wave and host rows, a pending deployment target for each host the
  // change dispatched, the failure of each cancelled target that was never sent, a new
  // deployment when asked, and every event as an audit entry by `actor`.
  virtual Result<RolloutUpdate> update_rollout(std::int64_t id, const RolloutChange& change,
                                               const std::string& actor) = 0;
};

inline Result<ReleaseRecord> Store::create_release(const std::string& title,
                                                   const std::string& description,
                                                   const std::string& actor) {
  ReleaseRecord draft;
  draft.fields.title = title;
  draft.fields.description = description;
  draft.lifecycle.requester = actor;
  draft.lifecycle.current_responsible = Principal{PrincipalKind::user, actor};
  return register_release(draft, actor);
}

}  // namespace relman::controller
