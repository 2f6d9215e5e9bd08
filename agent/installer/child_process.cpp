#include "agent/installer/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

namespace relman::agent {
namespace fs = std::filesystem;
namespace {

class OutputSink {
 public:
  explicit OutputSink(const fs::path& log)
      : fd_(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {}
  ~OutputSink() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  void add(const char* data, std::size_t n) {
    if (fd_ >= 0 && logged_ < kMaxHookLogBytes) {
      std::size_t k = std::min(n, kMaxHookLogBytes - logged_);
      if (::write(fd_, data, k) > 0) logged_ += k;
      if (logged_ >= kMaxHookLogBytes) {
        static constexpr std::string_view kNote = "\n[relman: output truncated]\n";
        (void)!::write(fd_, kNote.data(), kNote.size());
      }
    }
    tail_.append(data, n);
    if (tail_.size() > 2 * kHookOutputTailBytes)
      tail_.erase(0, tail_.size() - kHookOutputTailBytes);
  }
  std::string tail() const {
    return tail_.size() <= kHookOutputTailBytes ? tail_
                                                : tail_.substr(tail_.size() - kHookOutputTailBytes);
  }

 private:
  int fd_;
  std::size_t logged_ = 0;
  std::string tail_;
};

// Reads what is there; false at end of file or error.
bool drain(int fd, OutputSink& out) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.add(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended abnormally";
}

// /proc/<pid>/stat: the state (field 3) and the start time (field 22). The command name
// (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
struct ProcStat {
  char state = '?';
  std::uint64_t start_time = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  ProcStat st;
  std::string field;
  rest >> st.state;
  for (int i = 4; i <= 22 && rest >> field; ++i) {
    if (i == 22) st.start_time = std::strtoull(field.c_str(), nullptr, 10);
  }
  if (!rest) return std::nullopt;
  return st;
}
}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st) return std::nullopt;
  return st->start_time;
}

void kill_orphaned_group(pid_t pgid, std::uint64_t start_time, std::chrono::milliseconds wait) {
  if (pgid <= 1) return;
  auto leader = read_proc_stat(pgid);
  if (leader && leader->start_time != start_time) return;  // the number names another process
  if (!leader && ::kill(-pgid, 0) != 0) return;            // nothing left of the group
  ::kill(-pgid, SIGKILL);
  // Done when no member is left, or only the leader as a zombie (its new parent reaps it).
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline && ::kill(-pgid, 0) == 0) {
    auto st = read_proc_stat(pgid);
    if (st && st->state == 'Z') return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ChildRun run_child(const ChildCommand& child) {
  const fs::path& cwd = child.cwd;
  const std::vector<std::string>& env = child.env;
  const std::chrono::seconds timeout = child.timeout;
  const fs::path& log = child.log_file;
  ChildRun run;
  if (child.argv.empty()) {
    run.failure = "could not start: no program";
    return run;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    run.failure = std::string("could not start: ") + std::strerror(errno);
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = child.argv;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0].c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    run.failure = std::string("could not start: ") + std::strerror(rc);
    return run;
  }

  if (child.on_started) child.on_started(pid);
  OutputSink out(log);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  // pidfd (Linux >= 5.3) wakes poll when the child exits, even while a background process
  // it started still holds the pipe; without it we poll the child every 20 ms.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  int pipe_fd = fds[0];
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false, timed_out = false;
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfds[2];
    int n = 0;
    if (pipe_fd >= 0) pfds[n++] = {pipe_fd, POLLIN, 0};
    if (pidfd >= 0) pfds[n++] = {pidfd, POLLIN, 0};
    int wait_ms = static_cast<int>(pidfd >= 0 ? std::min<long long>(left, 60000)
                                              : std::min<long long>(left, 20));
    if (::poll(pfds, static_cast<nfds_t>(n), wait_ms) < 0 && errno != EINTR) break;
    if (pipe_fd >= 0 && !drain(pipe_fd, out)) {
      ::close(pipe_fd);
      pipe_fd = -1;
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) exited = true;
    if (w < 0 && errno == ECHILD) status = -1;
  }
  if (!exited) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (pipe_fd >= 0) {
    drain(pipe_fd, out);
    ::close(pipe_fd);
  }
  if (pidfd >= 0) ::close(pidfd);
  run.tail = out.tail();
  if (timed_out) {
    run.failure = "timed out after " + std::to_string(timeout.count()) + " s";
  } else if (!exited) {
    run.failure = "could not be waited for";
  } else if (status == -1) {
    run.failure = "ended with an unknown status";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    run.ok = true;
  } else {
    run.failure = describe_status(status);
  }
  return run;
}

}  // namespace relman::agent
