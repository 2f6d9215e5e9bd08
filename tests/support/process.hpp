// A child process for integration tests: started with its output in a log file, stopped
// (SIGTERM, then SIGKILL) when the object goes, and killed with the test runner if it dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace relman::test {

class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { stop(); }

  // Throws std::runtime_error if fork/exec fails.
  void start(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
             const std::map<std::string, std::string>& extra_env = {});
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status (-1 if not running).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill9();
  bool running();
  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_file() const { return log_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns the last value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Runs a command to completion; returns its exit code and combined output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& extra_env = {},
                          const std::string& stdin_text = {});

std::filesystem::path binary_path(const std::string& name);  // relman, relman-controller, ...

}  // namespace relman::test
