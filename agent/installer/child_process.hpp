// The installer's child processes: install hooks from a package manifest (`/bin/sh -c
// <command>`; the command is part of the signed manifest, nothing else is interpolated) and
// dpkg. Each runs in its own process group, stdin from /dev/null, stdout+stderr captured to a
// bounded log file, the whole group killed when its time limit passes. Blocking: call from the
// installer's worker thread.
//
// A child outlives an agent that is killed (it has its own process group), so the installer
// writes the group's identity into its journal and kill_orphaned_group() ends it after the
// restart, before anything is rolled back under its feet.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace relman::agent {

inline constexpr std::size_t kMaxHookLogBytes = 1 << 20;   // output kept in the log file
inline constexpr std::size_t kHookOutputTailBytes = 2048;  // output kept for the result

struct ChildCommand {
  std::vector<std::string> argv;  // argv[0] is the program's path (no PATH search)
  std::filesystem::path cwd;
  std::vector<std::string> env;  // "NAME=value"; the whole environment of the command
  std::chrono::seconds timeout{60};
  std::filesystem::path log_file;  // truncated, then holds the first kMaxHookLogBytes
  // Called once the child runs, with its pid (which is also its process group id).
  std::function<void(pid_t)> on_started;
};

struct ChildRun {
  bool ok = false;      // exited with status 0 in time
  std::string failure;  // otherwise: "exited with status 3", "timed out after 5 s", ...
  std::string tail;     // the last kHookOutputTailBytes of stdout+stderr (raw bytes)
};

ChildRun run_child(const ChildCommand& command);

// When process `pid` started, in clock ticks after boot (/proc/<pid>/stat field 22); with the
// pid it names one process across pid reuse. nullopt when there is no such process.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// Kills what is left of a process group this agent started before it was killed: the group
// `pgid` whose leader started at `start_time` (or whose leader has exited; the kernel does not
// reuse the number while the group has members). Waits up to `wait` for the leader to go.
void kill_orphaned_group(pid_t pgid, std::uint64_t start_time,
                         std::chrono::milliseconds wait = std::chrono::seconds(5));

}  // namespace relman::agent
