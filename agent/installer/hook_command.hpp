// Runs one install hook from a package manifest: `/bin/sh -c <command>` (the command is part
// of the signed manifest; nothing else is interpolated), in its own process group, stdin from
// /dev/null, stdout+stderr captured to a bounded log file, the whole group killed when the
// timeout passes. Blocking: call from the installer's worker thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace relman::agent {

inline constexpr std::size_t kMaxHookLogBytes = 1 << 20;   // output kept in the log file
inline constexpr std::size_t kHookOutputTailBytes = 2048;  // output kept for the result

struct HookCommand {
  std::string command;
  std::filesystem::path cwd;
  std::vector<std::string> env;  // "NAME=value"; the whole environment of the command
  std::chrono::seconds timeout{60};
  std::filesystem::path log_file;  // truncated, then holds the first kMaxHookLogBytes
};

struct HookRun {
  bool ok = false;      // exited with status 0 in time
  std::string failure;  // otherwise: "exited with status 3", "timed out after 5 s", ...
  std::string tail;     // the last kHookOutputTailBytes of stdout+stderr (raw bytes)
};

HookRun run_hook(const HookCommand& hook);

}  // namespace relman::agent
