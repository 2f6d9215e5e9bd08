// The Store over the portable SQL layer (controller/store/sql/): one implementation for SQLite
// and PostgreSQL. Its methods live in one .cpp file per domain (sql_store_<domain>.cpp); a new
// domain adds a migration (controller/store/migrations/) and such a file.
#pragma once

#include <filesystem>
#include <memory>

#include "controller/store/sql/pg_connection.hpp"
#include "controller/store/sql/pool.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {
namespace store_sql {
class SoftwareIdCache;
}

class SqlStore final : public Store {
 public:
  // Applies the migrations to the pool's database, then serves from the pool.
  static Result<std::unique_ptr<SqlStore>> open(std::unique_ptr<sql::Pool> pool);
  // SQLite on one file: a pool of one connection (SQLite has one writer at a time anyway).
  static Result<std::unique_ptr<SqlStore>> open_sqlite(const std::filesystem::path& file);
  // PostgreSQL: a pool of up to `pool_size` connections (the first one opened now).
  static Result<std::unique_ptr<SqlStore>> open_postgresql(const sql::PgTarget& target,
                                                           std::size_t pool_size);

  ~SqlStore() override;
  sql::Dialect dialect() const { return pool_->dialect(); }

  // Users and sessions (sql_store_users.cpp).
  Result<std::int64_t> count_users() override;
  Result<User> create_user(const std::string& username, const std::string& password_hash,
                           const std::string& role, const std::string& actor) override;
  Result<std::optional<User>> find_user(const std::string& username) override;
  Result<void> create_session(const std::string& token_hash, std::int64_t user_id,
                              std::int64_t expires_at) override;
  Result<std::optional<User>> find_session_user(const std::string& token_hash,
                                                std::int64_t now) override;
  Result<void> delete_session(const std::string& token_hash) override;

  // DML (sql_store_packages.cpp).
  Result<PackageRecord> insert_package(const PackageRecord& p, const std::string& actor) override;
  Result<std::optional<PackageRecord>> get_package(std::int64_t id) override;
  Result<std::optional<PackageRecord>> find_package_by_sha256(const std::string& sha) override;
  Result<std::optional<PackageRecord>> find_package(const std::string& name,
                                                    const std::string& version) override;
  Result<std::vector<PackageRecord>> list_packages(const Page& page) override;
  Result<PackageTransitionResult> transition_package(std::int64_t id, const std::string& action,
                                                     const std::string& reason,
                                                     const std::string& actor) override;

  // Access (sql_store_access.cpp).
  Result<void> set_user_roles(const std::string& username, const std::vector<std::string>& roles,
                              const std::string& actor) override;
  Result<std::vector<User>> list_users(const Page& page) override;
  Result<GroupRecord> create_group(const std::string& name, const std::vector<std::string>& roles,
                                   const std::vector<std::string>& members,
                                   const std::string& actor) override;
  Result<GroupRecord> set_group_members(const std::string& name,
                                        const std::vector<std::string>& members,
                                        const std::string& actor) override;
  Result<std::vector<GroupRecord>> list_groups(const Page& page) override;

  // Releases (sql_store_releases.cpp).
  Result<ReleaseRecord> register_release(const ReleaseRecord& draft,
                                         const std::string& actor) override;
  Result<std::optional<ReleaseRecord>> get_release(std::int64_t id) override;
  Result<ReleaseRecord> change_release(std::int64_t id, const std::string& action,
                                       const ReleaseChangeFn& change,
                                       const std::string& actor) override;
  Result<std::vector<ReleaseRecord>> search_releases(const ReleaseQuery& query,
                                                     const Page& page) override;
  Result<std::vector<ReleaseCount>> count_releases(const ReleaseQuery& query,
                                                   ReleaseCountKey by) override;
  Result<std::vector<AuditEntry>> release_history(std::int64_t id, const Page& page) override;
  Result<ExecutionNote> add_execution_note(std::int64_t release_id, const ExecutionNote& note,
                                           const std::string& actor) override;
  Result<std::vector<ExecutionNote>> list_execution_notes(std::int64_t release_id) override;
  // Release types and subscriptions (sql_store_release_types.cpp).
  Result<ReleaseType> create_release_type(const ReleaseType& type,
                                          const std::string& actor) override;
  Result<ReleaseType> change_release_type(const std::string& name,
                                          const ReleaseTypeChangeFn& change,
                                          const std::string& actor) override;
  Result<std::optional<ReleaseType>> get_release_type(const std::string& name) override;
  Result<std::vector<ReleaseType>> list_release_types(const Page& page) override;
  Result<bool> subscribe_release(std::int64_t release_id, const std::string& group,
                                 const std::string& actor) override;
  Result<bool> unsubscribe_release(std::int64_t release_id, const std::string& group,
                                   const std::string& actor) override;
  Result<std::vector<ReleaseSubscription>> release_subscriptions(std::int64_t release_id) override;
  Result<AttachmentRecord> add_attachment(const AttachmentRecord& a,
                                          const std::string& actor) override;
  Result<std::vector<AttachmentRecord>> list_attachments(std::int64_t release_id,
                                                         const Page& page) override;
  Result<std::optional<AttachmentRecord>> get_attachment(std::int64_t release_id,
                                                         std::int64_t id) override;
  Result<std::optional<AttachmentRecord>> find_attachment(std::int64_t release_id,
                                                          const std::string& name) override;

  // Deployments and targets (sql_store_deployments.cpp).
  Result<DeploymentRecord> create_deployment(std::int64_t release_id, std::int64_t package_id,
                                             const std::vector<std::string>& hosts,
                                             std::int64_t expires_at, bool allow_downgrade,
                                             const std::string& actor) override;
  Result<DeploymentRecord> create_rollback_deployment(std::int64_t of,
                                                      const std::vector<std::string>& hosts,
                                                      std::int64_t expires_at,
                                                      const std::string& actor) override;
  Result<std::optional<DeploymentRecord>> get_deployment(std::int64_t id) override;
  Result<std::vector<DeploymentRecord>> list_deployments(std::optional<std::int64_t> release_id,
                                                         const Page& page) override;
  Result<std::vector<Delivery>> open_deliveries(const std::string& host_id) override;
  Result<bool> host_awaits_package(const std::string& host_id, const std::string& sha256) override;
  Result<void> record_order(std::int64_t target_id, const std::string& order_id,
                            const std::string& order_message, std::int64_t now) override;
  Result<std::int64_t> expire_pending_targets(std::int64_t now) override;
  Result<void> fail_target(std::int64_t target_id, const std::string& code,
                           const std::string& message, std::int64_t now) override;
  Result<void> record_progress(const std::string& host_id, const std::string& order_id,
                               const std::string& phase, std::int64_t bytes_done,
                               std::int64_t bytes_total, std::int64_t now) override;
  Result<void> record_result(const std::string& host_id, const std::string& order_id,
                             bool succeeded, const std::string& code, const std::string& message,
                             const std::string& installed_version, const std::string& final_phase,
                             const std::string& output, std::int64_t now) override;

  // Hosts (sql_store_hosts.cpp).
  Result<void> host_connected(const std::string& agent_id, std::int64_t now) override;
  Result<void> host_disconnected(const std::string& agent_id, std::int64_t now) override;
  Result<void> mark_all_hosts_disconnected() override;
  Result<void> record_inventory(const std::string& agent_id, const InventoryUpdate& update,
                                std::int64_t now) override;
  Result<void> update_inventory(const std::string& agent_id,
                                const std::optional<inventory::Needed>& parts, std::int64_t now,
                                const InventoryApply& apply) override;
  void update_inventories(std::vector<InventoryJob>& jobs, std::int64_t now) override;
  Result<std::vector<HostRecord>> list_hosts(const Page& page, const HostQuery& query) override;
  Result<std::optional<HostRecord>> get_host(const std::string& agent_id) override;

  // Audit log (sql_store_audit.cpp).
  Result<std::vector<AuditEntry>> list_audit(const AuditQuery& query, const Page& page) override;
  Result<std::vector<AuditEntry>> list_audit_after(std::int64_t after_id,
                                                   std::int64_t limit) override;

  // CMDB (sql_store_cmdb.cpp: classes, CIs, versions; sql_store_cmdb_graph.cpp:
  // relationships, impact, agents' host CIs).
  Result<std::vector<cmdb::CiClass>> list_ci_classes() override;
  Result<std::optional<cmdb::CiClass>> get_ci_class(const std::string& name) override;
  Result<cmdb::CiClass> create_ci_class(const cmdb::CiClass& c, const std::string& actor) override;
  Result<cmdb::CiRecord> create_ci(const cmdb::CiDraft& d, const std::string& actor) override;
  Result<std::optional<cmdb::CiRecord>> get_ci(std::int64_t id) override;
  Result<std::vector<cmdb::CiRecord>> list_cis(const cmdb::CiFilter& f, const Page& page) override;
  Result<cmdb::CiRecord> update_ci(std::int64_t id, const cmdb::CiPatch& patch,
                                   const std::string& actor) override;
  Result<std::vector<cmdb::CiVersionRecord>> ci_history(std::int64_t id, const Page& page) override;
  Result<cmdb::CiRecord> restore_ci(std::int64_t id, std::int64_t version,
                                    std::optional<std::int64_t> expected_version,
                                    const std::string& actor) override;
  Result<cmdb::RelationshipRecord> create_relationship(std::int64_t from_id,
                                                       const std::string& type, std::int64_t to_id,
                                                       const std::string& actor) override;
  Result<std::vector<cmdb::RelationshipRecord>> ci_relationships(std::int64_t ci_id) override;
  Result<void> delete_relationship(std::int64_t id, const std::string& actor) override;
  Result<cmdb::ImpactReport> ci_impact(std::int64_t id) override;
  Result<cmdb::HostFacts> cmdb_host_facts() override;

  // Inventory reconciliation (sql_store_inventory.cpp).
  Result<std::vector<InventoryChange>> inventory_changes(std::int64_t ci_id,
                                                         const Page& page) override;
  Result<std::vector<SoftwareInstall>> hosts_running(const std::string& name,
                                                     const std::optional<std::string>& version,
                                                     const Page& page) override;
  // Software policies (sql_store_software_policies.cpp) and the installed software that
  // compliance reads (sql_store_compliance.cpp).
  Result<inventory::SoftwarePolicy> create_software_policy(
      const inventory::SoftwarePolicyDraft& draft, const std::string& actor) override;
  Result<std::vector<inventory::SoftwarePolicy>> software_policies(
      const std::optional<std::string>& group) override;
  Result<void> delete_software_policy(std::int64_t id, const std::string& actor) override;
  Result<std::vector<inventory::InstalledPackage>> installed_packages(
      const std::vector<inventory::PackageKey>& packages) override;

  // Rollouts (sql_store_rollouts.cpp).
  Result<rollout::RolloutRecord> create_rollout(const rollout::RolloutRecord& draft,
                                                bool allow_downgrade,
                                                const std::string& actor) override;
  Result<std::optional<rollout::RolloutRecord>> get_rollout(std::int64_t id) override;
  Result<std::vector<rollout::RolloutRecord>> list_rollouts(std::optional<std::int64_t> release_id,
                                                            const Page& page) override;
  Result<std::vector<std::int64_t>> active_rollouts() override;
  Result<RolloutUpdate> update_rollout(std::int64_t id, const RolloutChange& change,
                                       const std::string& actor) override;

 private:
  explicit SqlStore(std::unique_ptr<sql::Pool> pool);
  std::unique_ptr<sql::Pool> pool_;
  // Committed software CI ids (sql_store_inventory.cpp).
  std::unique_ptr<store_sql::SoftwareIdCache> software_ids_;
};

}  // namespace relman::controller
