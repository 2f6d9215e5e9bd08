// Runs signed deploy orders on this host: check the order, fetch the package (resumable),
// verify it against the order and the trust store, extract it into a versioned directory,
// run the manifest's hooks and switch <root>/<name>/current atomically, rolling back to the
// previous version when a hook fails. Every outcome is a DeployResult with a stable code;
// every failure leaves the host on the version it ran before.
//
// state.json (in state_dir) records installed versions, the last kMaxRecordedResults order
// results (so a re-sent order gets the same answer and is never installed twice) and, while
// an install is switching versions, a journal entry that open() rolls back after a crash.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "packaging/trust.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

inline constexpr std::size_t kMaxRecordedResults = 200;
inline constexpr std::size_t kMaxStateFileBytes = 4 << 20;

struct InstallerConfig {
  std::string agent_id;
  std::filesystem::path install_root;  // <root>/<name>/<version>/ and <root>/<name>/current
  std::filesystem::path state_dir;     // downloads/, state.json, hook-<kind>.log
  packaging::TrustStore trust;
  // Unix seconds; the system clock when empty (tests pin it).
  std::function<std::int64_t()> clock;
};

// Fetches the package named by the order into dest_file (resuming if it holds bytes),
// reporting progress, and every byte it writes with its offset (the installer hashes them as
// they stream; offset 0 again means the file restarted). Returns the file's final size.
using Fetcher = std::function<Result<std::uint64_t>(
    const protocol::DeployOrder& order, const std::filesystem::path& dest_file,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress,
    const std::function<void(std::uint64_t offset, std::string_view bytes)>& on_data)>;
using ProgressSink = std::function<void(const protocol::DeployProgress&)>;

class Installer {
 public:
  Installer(InstallerConfig config, Fetcher fetcher);

  // Loads state.json (creating state_dir); state.invalid if it is corrupt. Rolls back an
  // install that was interrupted (crash, power loss) between extraction and its result.
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
  struct Journal {  // an install in flight; see open()
    std::string order_id;
    std::int64_t deployment_id = 0;
    std::string package;
    std::string version;
    std::string previous;  // what current pointed to before, "" if none
    std::string aside;     // where an earlier copy of `version` was moved, "" if none
  };
  struct State {
    std::map<std::string, std::string> installed;
    std::deque<protocol::DeployResult> results;  // oldest first
    std::optional<Journal> journal;
  };
  struct Attempt;

  protocol::DeployResult run_checked(const protocol::DeployOrderMessage& msg,
                                     const ProgressSink& progress);
  protocol::DeployResult install(Attempt& attempt);
  Result<void> recover(const Journal& journal);
  Result<void> save_locked() const;
  Result<void> update_state(const std::function<void(State&)>& change);
  std::int64_t now() const;

  InstallerConfig config_;
  Fetcher fetcher_;
  std::mutex run_mutex_;      // one order at a time
  mutable std::mutex mutex_;  // guards state_
  State state_;
};

}  // namespace relman::agent
