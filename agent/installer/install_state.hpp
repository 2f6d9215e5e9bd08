// state.json in the agent's state_dir: what is installed, the versions kept for a rollback, the
// last kMaxRecordedResults order results (a re-sent order gets the same answer and is never
// run twice) and, while an order changes the host, its journal: what it is doing, so that an
// agent killed at any point finishes or undoes it when it starts again.
//
// The file is replaced atomically (temp file, fsync, rename, fsync of the directory), so it is
// always either the old or the new state. Schema 2; schema 1 (no `packages`, no journal phase)
// is read and upgraded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

inline constexpr std::size_t kMaxRecordedResults = 200;
inline constexpr std::size_t kMaxStateFileBytes = 8 << 20;

// What it takes to make a kept version current again.
struct KeptVersion {
  std::string payload_kind = "archive";  // "archive" | "deb"
  std::string deb_file;                  // deb: the .deb's path inside the version directory
  std::string deb_package;               // deb: its Debian package name
  std::string post_install;              // the version's own hooks, run when it comes back
  std::string health_check;
  std::int64_t hook_timeout_seconds = 60;
};

struct PackageState {
  // Versions in the order they became current, oldest first; back() is the current one and
  // the one before it is the version a rollback returns to.
  std::vector<std::string> history;
  std::map<std::string, KeptVersion> kept;  // by version; every version in history
};

// Where an order that changes the host is. Each phase is written before its step begins, so
// after a crash the step may or may not have happened; recovery is written to be right
// either way.
namespace journal_phase {
inline constexpr std::string_view kExtracting = "extracting";     // into .staging-*, then in place
inline constexpr std::string_view kPreInstall = "pre_install";    // current not touched yet
inline constexpr std::string_view kDpkgInstall = "dpkg_install";  // dpkg -i of the new .deb
inline constexpr std::string_view kSwitching = "switching";       // current -> new version
inline constexpr std::string_view kPostInstall = "post_install";
inline constexpr std::string_view kHealthCheck = "health_check";
inline constexpr std::string_view kRollingBack = "rolling_back";  // rollback order
}  // namespace journal_phase

// True once the phase may have changed what the host runs (dpkg ran, or current moved).
bool journal_phase_changed_host(std::string_view phase);

struct Journal {
  std::string order_id;
  std::int64_t deployment_id = 0;
  std::string action = std::string(protocol::kOrderInstall);  // or kOrderRollback
  std::string package;
  std::string version;   // install: the new version; rollback: the version being left
  std::string previous;  // install: current before the order ("" if none); rollback: target
  std::string aside;     // where an earlier copy of `version` was moved, "" if none
  std::string phase;     // a journal_phase name
  KeptVersion incoming;  // install: how to run (and undo) the new version
  // The child process group running for this phase (hook or dpkg), to end after a crash.
  pid_t child_pgid = 0;
  std::uint64_t child_start_time = 0;
};

struct InstallState {
  std::map<std::string, std::string> installed;     // package -> current version
  std::map<std::string, PackageState> packages;     // package -> history and kept versions
  std::deque<protocol::DeployResult> results;       // oldest first
  std::map<std::string, std::int64_t> interrupted;  // order id -> installs cut short (no change)
  std::optional<Journal> journal;
};

// A missing file is an empty state. Errors: state.read_failed, state.invalid (with what is
// wrong: a corrupt state file is never guessed at).
Result<InstallState> load_install_state(const std::filesystem::path& file);
// Errors: state.write_failed.
Result<void> save_install_state(const std::filesystem::path& file, const InstallState& state);

// Whether `s` can be used as one path component (package names and versions from the state
// file become directory names).
bool is_path_component(std::string_view s);

}  // namespace relman::agent
