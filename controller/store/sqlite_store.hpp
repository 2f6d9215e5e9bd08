// Store on one SQLite file (WAL). One connection, serialised by a mutex: SQLite allows one
// writer at a time anyway, and every call already runs on the blocking pool.
#pragma once

#include <filesystem>
#include <mutex>

#include "controller/store/sqlite_db.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

class SqliteStore final : public Store {
 public:
  // Opens the file and applies migrations.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file);

  Result<std::int64_t> count_users() override;
  Result<User> create_user(const std::string& username, const std::string& password_hash,
                           const std::string& role, const std::string& actor) override;
  Result<std::optional<User>> find_user(const std::string& username) override;
  Result<void> create_session(const std::string& token_hash, std::int64_t user_id,
                              std::int64_t expires_at) override;
  Result<std::optional<User>> find_session_user(const std::string& token_hash,
                                                std::int64_t now) override;
  Result<void> delete_session(const std::string& token_hash) override;

  Result<PackageRecord> insert_package(const PackageRecord& p, const std::string& actor) override;
  Result<std::optional<PackageRecord>> get_package(std::int64_t id) override;
  Result<std::optional<PackageRecord>> find_package_by_sha256(const std::string& sha) override;
  Result<std::optional<PackageRecord>> find_package(const std::string& name,
                                                    const std::string& version) override;
  Result<std::vector<PackageRecord>> list_packages(const Page& page) override;

  Result<ReleaseRecord> create_release(const std::string& title, const std::string& description,
                                       const std::string& actor) override;
  Result<std::optional<ReleaseRecord>> get_release(std::int64_t id) override;
  Result<std::vector<ReleaseRecord>> list_releases(const Page& page) override;

  Result<DeploymentRecord> create_deployment(std::int64_t release_id, std::int64_t package_id,
                                             const std::vector<std::string>& hosts,
                                             std::int64_t expires_at, bool allow_downgrade,
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
                             const std::string& installed_version, std::int64_t now) override;

  Result<void> host_connected(const std::string& agent_id, std::int64_t now) override;
  Result<void> host_disconnected(const std::string& agent_id, std::int64_t now) override;
  Result<void> mark_all_hosts_disconnected() override;
  Result<void> record_inventory(const std::string& agent_id, const std::string& hostname,
                                const std::string& os, const std::string& inventory_json,
                                std::int64_t now) override;
  Result<std::vector<HostRecord>> list_hosts(const Page& page) override;
  Result<std::optional<HostRecord>> get_host(const std::string& agent_id) override;

  Result<std::vector<AuditEntry>> list_audit(const AuditQuery& query, const Page& page) override;
  Result<std::vector<AuditEntry>> list_audit_after(std::int64_t after_id,
                                                   std::int64_t limit) override;

 private:
  explicit SqliteStore(sqlite::Database db) : db_(std::move(db)) {}
  Result<void> audit(const std::string& actor, const std::string& action,
                     const std::string& object_type, const std::string& object_id,
                     const std::string& detail_json);
  Result<std::vector<TargetRecord>> targets_of(std::int64_t deployment_id);
  Result<std::optional<DeploymentRecord>> deployment_locked(std::int64_t id);
  Result<std::optional<PackageRecord>> package_where(const char* where, const std::string& arg);

  std::mutex mu_;
  sqlite::Database db_;
};

}  // namespace relman::controller
