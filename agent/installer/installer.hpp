// Runs signed deploy orders on this host. An install order: check the order, check the disk
// space, fetch the package (resumable, retried after a broken connection, hashed while it
// streams), verify it against the order and the trust store, refuse it if its platform is not
// this host's, extract it into a versioned directory (payload kind "archive") or hand its .deb
// to dpkg ("deb"), run the manifest's hooks with time limits, switch <root>/<name>/current
// atomically, and go back to the previous version when a hook after the switch fails. A
// rollback order returns the host to the version it ran before the one the order names.
// Every outcome is a DeployResult with a stable code, a final phase (done, failed,
// rolled_back) and the tail of the hooks' output; the last keep_versions versions of each
// package are kept (never the current or the previous one) and older ones removed.
//
// state.json (install_state.hpp) journals every order that changes the host. open() after a
// crash finishes what it can and undoes the rest: an install cut short before it changed the
// host is cleaned up and runs again when the order is re-sent (at most
// kMaxInterruptedInstalls times); one cut short after the switch (or dpkg) is rolled back to
// the previous version and recorded as install.interrupted; a rollback order is completed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "agent/installer/child_process.hpp"
#include "agent/installer/deb_payload.hpp"
#include "agent/installer/disk_space.hpp"
#include "agent/installer/host_platform.hpp"
#include "agent/installer/install_state.hpp"
#include "agent/installer/order_report.hpp"
#include "packaging/trust.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

inline constexpr std::int64_t kMaxInterruptedInstalls = 2;

struct InstallerConfig {
  std::string agent_id;
  std::filesystem::path install_root;  // <root>/<name>/<version>/ and <root>/<name>/current
  std::filesystem::path state_dir;     // downloads/, state.json, hook-<kind>.log
  packaging::TrustStore trust;
  // Unix seconds; the system clock when empty (tests pin it).
  std::function<std::int64_t()> clock;
  std::int64_t keep_versions = 3;           // per package, the current one included
  std::uint64_t min_free_bytes = 64 << 20;  // left free on each filesystem after a download
  DpkgConfig dpkg;                          // for payload kind "deb"
  std::optional<HostPlatform> platform;     // detected when empty
  DiskProbe disk_probe;                     // probe_filesystem when empty (tests pin it)
  int download_attempts = 5;                // tries per order, each resuming with Range
  std::chrono::milliseconds download_retry_delay{500};  // doubled after each try
  // Test seam: called at named steps of an order ("extracted", "in_place", "dpkg_installed",
  // "switched", "recorded", "rollback_switched"). Only the test-only agent binary sets it.
  std::function<void(std::string_view step)> step_observer;
};

// Fetches the package named by the order into dest_file (resuming if it holds bytes),
// reporting progress, and every byte it writes with its offset (the installer hashes them as
// they stream; offset 0 again means the file restarted). Returns the file's final size.
using Fetcher = std::function<Result<std::uint64_t>(
    const protocol::DeployOrder& order, const std::filesystem::path& dest_file,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress,
    const std::function<void(std::uint64_t offset, std::string_view bytes)>& on_data)>;
class Installer {
 public:
  Installer(InstallerConfig config, Fetcher fetcher);

  // Loads state.json (creating state_dir); state.invalid if it is corrupt. Finishes or undoes
  // an order that was interrupted (crash, power loss), and removes work left in progress.
  Result<void> open();

  // Runs one order start to end, synchronously (call from a worker thread, never a network
  // thread). Orders run one at a time. Never throws.
  protocol::DeployResult run(const protocol::DeployOrderMessage& msg, const ProgressSink& progress);

  std::optional<std::string> installed_version(const std::string& package) const;
  bool already_executed(const std::string& order_id) const;
  // The recorded result of an executed order (one of the last kMaxRecordedResults).
  std::optional<protocol::DeployResult> recorded_result(const std::string& order_id) const;
  // Every installed package and its version.
  std::map<std::string, std::string> installed_packages() const;

 private:
  struct Attempt;

  protocol::DeployResult run_checked(const protocol::DeployOrderMessage& msg,
                                     const ProgressSink& progress);
  protocol::DeployResult fetch_and_install(const protocol::DeployOrder& order,
                                           const ProgressSink& progress);
  protocol::DeployResult install(Attempt& attempt);
  protocol::DeployResult roll_back_order(const protocol::DeployOrder& order,
                                         const ProgressSink& progress);
  // The steps of a rollback order after its journal is written (also after a restart).
  protocol::DeployResult finish_rollback(Journal journal, const ProgressSink& progress,
                                         std::string_view after_restart);
  Result<void> recover(const Journal& journal);

  // Puts back what `journal` changed (dpkg, current, the version directory); "" when all is
  // well, else what went wrong.
  std::string undo_install(const Journal& journal, bool host_changed, HookTranscript& out);
  // Makes `version` live again after a switch back: its post_install and health check.
  // "" when they pass (or there are none), else what failed.
  std::string reactivate(const std::string& package, const std::string& version,
                         HookTranscript& out);
  // Runs a hook (empty command: nothing) or a dpkg command as part of the journaled order;
  // "" on success, else the failure ("exited with status 3").
  std::string run_journaled(std::string_view name, ChildCommand command, HookTranscript& out);
  std::string run_hook_for(std::string_view hook, const std::string& command,
                           const std::string& package, const std::string& version,
                           const std::string& previous, std::int64_t timeout_seconds,
                           HookTranscript& out);
  // Removes versions beyond keep_versions (never the current or the previous one).
  void prune(const std::string& package);
  std::string current_version(const std::string& package) const;

  Result<void> save_locked() const;
  Result<void> update_state(const std::function<void(InstallState&)>& change);
  void step(std::string_view name) const;
  std::int64_t now() const;

  InstallerConfig config_;
  Fetcher fetcher_;
  std::mutex run_mutex_;      // one order at a time
  mutable std::mutex mutex_;  // guards state_
  InstallState state_;
};

}  // namespace relman::agent
