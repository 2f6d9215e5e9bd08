// Child processes of the installer: output capture, time limits, and ending a process group
// that a killed agent left behind (and only that one).
#include "agent/installer/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace relman::agent {
namespace {

// A process in its own group running `sleep 30`, as a hook of a killed agent would be.
pid_t spawn_group_leader() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // either side may win the race; both set the same group
  return pid;
}

TEST(ChildProcess, CapturesOutputAndTheExitStatus) {
  test::TempDir dir{"relman-child"};
  ChildCommand c;
  c.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 5"};
  c.cwd = dir.path();
  c.log_file = dir.path() / "log";
  pid_t started = 0;
  c.on_started = [&](pid_t pid) { started = pid; };
  auto run = run_child(c);
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.failure, "exited with status 5");
  EXPECT_EQ(run.tail, "out\nerr\n");
  EXPECT_GT(started, 0);
  EXPECT_EQ(test::read_file(dir.path() / "log"), "out\nerr\n");
}

TEST(ChildProcess, ProgramThatCannotStartIsAFailureNotACrash) {
  test::TempDir dir{"relman-child"};
  ChildCommand c;
  c.argv = {"/nonexistent/dpkg", "--version"};
  c.cwd = dir.path();
  c.log_file = dir.path() / "log";
  auto run = run_child(c);
  EXPECT_FALSE(run.ok);
  EXPECT_NE(run.failure.find("could not start"), std::string::npos) << run.failure;
}

TEST(ChildProcess, OrphanedGroupIsKilledOnlyWhenItsLeaderIsTheOneRecorded) {
  pid_t pid = spawn_group_leader();
  ASSERT_GT(pid, 0);
  std::optional<std::uint64_t> started;
  for (int i = 0; i < 100 && !(started = process_start_time(pid)); ++i) ::usleep(10000);
  ASSERT_TRUE(started);

  // Another start time: the number was reused by someone else's process; leave it alone.
  kill_orphaned_group(pid, *started + 1, std::chrono::milliseconds(100));
  EXPECT_EQ(::kill(pid, 0), 0);

  kill_orphaned_group(pid, *started, std::chrono::seconds(5));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(process_start_time(pid), std::nullopt);
  kill_orphaned_group(pid, *started, std::chrono::milliseconds(100));  // gone: nothing to do
}

}  // namespace
}  // namespace relman::agent
