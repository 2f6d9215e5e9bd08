// The agent installer under faults, end to end: real relman-controller and relman-agent
// processes on loopback with mutual TLS. An agent killed with SIGKILL at each step of an
// install comes back on the old or the new version (never between) and says which; a
// download cut mid-body resumes with Range; hook output, phases and timings reach the API.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>

#include "tests/support/cluster.hpp"
#include "tests/support/deploy_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

namespace relman::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class InstallerFaultTest : public DeployFixture {
 protected:
  std::int64_t release() {
    if (release_ == 0) release_ = new_release();
    return release_;
  }

  std::int64_t deploy(std::int64_t package, const std::string& host) {
    return DeployFixture::deploy(release(), package, host).value("id", std::int64_t{0});
  }

  // Deploys `package` to `host` and waits for the target's result.
  json deploy_and_wait(std::int64_t package, const std::string& host) {
    auto d = controller.wait_deployment(deploy(package, host), std::chrono::seconds(90));
    return d["targets"][0];
  }

  fs::path package(const std::string& version, const packaging::Hooks& hooks = {},
                   std::string payload = {}) {
    if (payload.empty()) payload = "app " + version + "\n";
    return make_package(tmp / ("app-" + version + ".relpkg"), "app", version,
                        {{"bin/app", payload}}, &pki.publisher(), hooks);
  }

  static std::string current_of(const AgentProcess& a) {
    std::error_code ec;
    auto target = fs::read_symlink(a.install_root() / "app" / "current", ec);
    return ec ? std::string("<none>") : target.string();
  }

  // Installs app 1.0.0 on a fresh agent `id` with the shipped binary; leaves it stopped.
  AgentProcess& agent_on_v1(const std::string& id) {
    auto& a = agent(id);
    a.start();
    auto t = deploy_and_wait(upload_ok(package("1.0.0")), id);
    EXPECT_EQ(t["status"], "succeeded") << t.dump(2);
    a.stop();
    return a;
  }

  // What the host runs and reports after an interrupted install of 2.0.0 over 1.0.0.
  void expect_outcome(const AgentProcess& a, const json& target, bool new_version) {
    std::string version = new_version ? "2.0.0" : "1.0.0";
    EXPECT_EQ(current_of(a), version) << target.dump(2);
    EXPECT_EQ(read_file(a.install_root() / "app" / "current" / "bin" / "app"),
              "app " + version + "\n");
    EXPECT_EQ(target["installed_version"], version) << target.dump(2);
    if (new_version) {
      EXPECT_EQ(target["status"], "succeeded") << target.dump(2);
      EXPECT_EQ(target["outcome"], "succeeded");
      EXPECT_EQ(target["phase"], "done");
    } else {
      EXPECT_EQ(target["status"], "failed") << target.dump(2);
      EXPECT_EQ(target["outcome"], "rolled_back");
      EXPECT_EQ(target["phase"], "rolled_back");
      EXPECT_EQ(target["error"]["code"], "install.interrupted");
      EXPECT_FALSE(fs::exists(a.install_root() / "app" / "2.0.0"));
    }
    // Nothing half-done is left: no journal, no work in progress.
    auto state = json::parse(read_file(a.state_dir() / "state.json"));
    EXPECT_FALSE(state.contains("journal")) << state.dump(2);
    EXPECT_EQ(state["installed"]["app"], version);
    for (const auto& e : fs::directory_iterator(a.install_root() / "app")) {
      EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
    }
  }

  std::int64_t release_ = 0;
};

// ---- kill -9 at each step ----

struct CrashCase {
  const char* step;  // the installer step the test agent kills itself at
  bool new_version;  // where the host must end up
};

class AgentKilledAtStep : public InstallerFaultTest,
                          public ::testing::WithParamInterface<CrashCase> {};

TEST_P(AgentKilledAtStep, EndsOnTheOldOrTheNewVersionAndSaysWhich) {
  const CrashCase c = GetParam();
  auto& a = agent_on_v1("web-01");
  fs::path marker = tmp / "crashed";
  a.use_binary("relman-agent-crashpoints",
               {{"RELMAN_CRASH_AT", c.step}, {"RELMAN_CRASH_MARKER", marker.string()}});
  a.start();
  packaging::Hooks hooks;
  hooks.post_install = "echo post-install ran";
  hooks.health_check = "test -f bin/app";
  auto dep = deploy(upload_ok(package("2.0.0", hooks)), "web-01");
  ASSERT_TRUE(
      wait_until([&] { return fs::exists(marker) && !a.running(); }, std::chrono::seconds(60)))
      << "the agent never reached step " << c.step;
  a.start();  // the same binary; the marker keeps it from crashing again
  auto d = controller.wait_deployment(dep, std::chrono::seconds(90));
  ASSERT_EQ(d["status"] == "succeeded" || d["status"] == "failed", true) << d.dump(2);
  expect_outcome(a, d["targets"][0], c.new_version);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, AgentKilledAtStep,
    ::testing::Values(CrashCase{"extracted", true},  // nothing changed yet: retried
                      CrashCase{"in_place", true},   // files in place, current untouched
                      CrashCase{"switched", false},  // current moved: rolled back
                      CrashCase{"recorded", true}),  // the result was on disk already
    [](const auto& info) { return std::string(info.param.step); });

// A hook that kills the agent (its parent) once, the way a crash or power loss in the middle of
// that hook would: the restarted agent ends the orphaned hook and finishes or undoes.
class AgentKilledInHook : public InstallerFaultTest,
                          public ::testing::WithParamInterface<CrashCase> {};

TEST_P(AgentKilledInHook, EndsOnTheOldOrTheNewVersionAndSaysWhich) {
  const CrashCase c = GetParam();
  auto& a = agent_on_v1("web-01");
  a.start();
  fs::path marker = tmp / "crashed";
  std::string crash = "if [ ! -e " + marker.string() + " ]; then touch " + marker.string() +
                      "; kill -9 $PPID; sleep 30; fi; echo " + c.step + " ok";
  packaging::Hooks hooks;
  hooks.pre_install = c.step == std::string("pre_install") ? crash : "true";
  hooks.post_install = c.step == std::string("post_install") ? crash : "true";
  hooks.health_check = c.step == std::string("health_check") ? crash : "true";
  auto dep = deploy(upload_ok(package("2.0.0", hooks)), "web-01");
  ASSERT_TRUE(
      wait_until([&] { return fs::exists(marker) && !a.running(); }, std::chrono::seconds(60)));
  a.start();
  auto d = controller.wait_deployment(dep, std::chrono::seconds(90));
  expect_outcome(a, d["targets"][0], c.new_version);
  if (!c.new_version) {
    std::string message = d["targets"][0]["error"]["message"];
    EXPECT_NE(message.find(std::string(c.step) == "health_check" ? "health check" : c.step),
              std::string::npos)
        << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Hooks, AgentKilledInHook,
                         ::testing::Values(CrashCase{"pre_install", true},
                                           CrashCase{"post_install", false},
                                           CrashCase{"health_check", false}),
                         [](const auto& info) { return std::string(info.param.step); });

// Random bytes do not shrink, so the package is as large on the wire as on disk.
std::string random_payload(std::size_t size) {
  std::mt19937_64 rng(42);
  std::string s(size, '\0');
  for (auto& ch : s) ch = static_cast<char>(rng());
  return s;
}

TEST_F(InstallerFaultTest, AgentKilledWhileDownloadingResumesAfterRestart) {
  TcpProxy proxy(controller.port());
  proxy.throttle(512 * 1024);  // ~4 s for the package: time to kill the agent mid-way
  auto& a = agent("web-01");
  a.config()["download_url"] = "https://127.0.0.1:" + std::to_string(proxy.port());
  a.start();
  auto pkg = package("2.0.0", {}, random_payload(2 << 20));
  auto size = fs::file_size(pkg);
  auto dep = deploy(upload_ok(pkg), "web-01");
  std::int64_t done_before_kill = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        auto d = controller.api("GET", "/api/v1/deployments/" + std::to_string(dep)).body;
        const auto& t = d["targets"][0];
        done_before_kill = t.value("bytes_done", std::int64_t{0});
        return t.value("phase", "") == "downloading" && done_before_kill > 0;
      },
      std::chrono::seconds(60)));
  a.kill9();
  proxy.throttle(0);
  a.start();
  auto d = controller.wait_deployment(dep, std::chrono::seconds(90));
  const auto& t = d["targets"][0];
  EXPECT_EQ(t["status"], "succeeded") << t.dump(2);
  EXPECT_EQ(t["installed_version"], "2.0.0");
  EXPECT_EQ(current_of(a), "2.0.0");
  EXPECT_NE(controller.log().find("agent web-01 resumes package"), std::string::npos);
  EXPECT_LT(proxy.bytes_to_client(), 2 * size);
}

TEST_F(InstallerFaultTest, DownloadCutMidBodyResumesWithRange) {
  TcpProxy proxy(controller.port());
  auto& a = agent("web-01");
  a.config()["download_url"] = "https://127.0.0.1:" + std::to_string(proxy.port());
  a.start();
  auto pkg = package("1.0.0", {}, random_payload(3 << 20));
  auto size = fs::file_size(pkg);
  auto package_id = upload_ok(pkg);
  proxy.cut_once_after(size / 2);
  auto t = deploy_and_wait(package_id, "web-01");
  EXPECT_EQ(t["status"], "succeeded") << t.dump(2);
  EXPECT_EQ(current_of(a), "1.0.0");
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_GE(proxy.connections(), 2);
  // The second request asked for the rest only (the controller logs a Range request)...
  auto log = controller.log();
  auto at = log.find("agent web-01 resumes package");
  ASSERT_NE(at, std::string::npos) << "no Range request reached the controller";
  auto from = std::stoull(log.substr(log.find("from byte ", at) + 10));
  EXPECT_GT(from, size / 4);
  EXPECT_LT(from, size);
  // ...so the bytes fetched (TLS included) stay well under two copies of the package.
  EXPECT_LT(proxy.bytes_to_client(), 2 * size);
  EXPECT_EQ(read_file(a.install_root() / "app" / "current" / "bin" / "app").size(), 3u << 20);
}

TEST_F(InstallerFaultTest, FailedHealthCheckRollsBackAndTheApiShowsWhyWithTheOutput) {
  auto& a = agent_on_v1("web-01");
  a.start();
  packaging::Hooks hooks;
  hooks.pre_install = "echo checking disk";
  hooks.health_check = "echo 'GET /health -> 503'; echo 'db connection refused' >&2; exit 7";
  auto t = deploy_and_wait(upload_ok(package("2.0.0", hooks)), "web-01");
  EXPECT_EQ(t["status"], "failed");
  EXPECT_EQ(t["outcome"], "rolled_back");
  EXPECT_EQ(t["phase"], "rolled_back");
  EXPECT_EQ(t["error"]["code"], "install.health_check_failed");
  EXPECT_NE(t["error"]["message"].get<std::string>().find("status 7"), std::string::npos);
  EXPECT_EQ(t["installed_version"], "1.0.0");
  std::string output = t["output"];
  EXPECT_NE(output.find("checking disk"), std::string::npos) << output;
  EXPECT_NE(output.find("db connection refused"), std::string::npos) << output;
  EXPECT_LE(output.size(), 4096u);
  EXPECT_EQ(current_of(a), "1.0.0");
  // The phases the agent went through, each with when it started.
  std::vector<std::string> phases;
  for (const auto& p : t["phases"]) {
    phases.push_back(p["phase"]);
    EXPECT_GT(p["started_at"].get<std::int64_t>(), 0);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"queued", "downloading", "verifying", "installing",
                                              "health_check", "rolling_back", "rolled_back"}));
  EXPECT_GT(t["started_at"].get<std::int64_t>(), 0);
  EXPECT_GE(t["finished_at"].get<std::int64_t>(), t["started_at"].get<std::int64_t>());
}

TEST_F(InstallerFaultTest, ProgressPhasesAndTimingsAreStoredPerTarget) {
  auto& a = agent("web-01");
  a.start();
  auto t = deploy_and_wait(upload_ok(package("1.0.0")), "web-01");
  ASSERT_EQ(t["status"], "succeeded") << t.dump(2);
  EXPECT_EQ(t["outcome"], "succeeded");
  EXPECT_EQ(t["phase"], "done");
  EXPECT_EQ(t["bytes_done"], t["bytes_total"]);
  std::vector<std::string> phases;
  for (const auto& p : t["phases"]) phases.push_back(p["phase"]);
  EXPECT_EQ(phases,
            (std::vector<std::string>{"queued", "downloading", "verifying", "installing", "done"}));
  EXPECT_TRUE(t["phases"].back()["finished_at"].is_number());
}

// Issue 4 item 4: a slow download shows as per-host and per-deployment progress while it runs;
// each phase change is one `deployment.progress` event, however many byte reports there were.
TEST_F(InstallerFaultTest, ProgressIsVisibleWhileRunningAndPhaseChangesAreEvents) {
  TcpProxy proxy(controller.port());
  proxy.throttle(512 * 1024);  // ~4 s for 2 MiB: several byte reports (at most one a second)
  auto& a = agent("web-01");
  a.config()["download_url"] = "https://127.0.0.1:" + std::to_string(proxy.port());
  a.start();
  auto dep = deploy(upload_ok(package("1.0.0", {}, random_payload(2 << 20))), "web-01");
  const std::string path = "/api/v1/deployments/" + std::to_string(dep);
  json seen;
  ASSERT_TRUE(wait_until(
      [&] {
        seen = controller.api("GET", path).body;
        return seen["progress"]["by_phase"].value("downloading", 0) == 1 &&
               seen["progress"].value("bytes_done", std::int64_t{0}) > 0;
      },
      std::chrono::seconds(60)))
      << seen.dump(2);
  EXPECT_EQ(seen["progress"]["by_status"]["in_progress"], 1) << seen.dump(2);
  EXPECT_GT(seen["progress"]["started_at"].get<std::int64_t>(), 0);
  EXPECT_EQ(seen["progress"]["finished_at"], 0);
  EXPECT_TRUE(seen["progress"]["duration_seconds"].is_null());
  EXPECT_TRUE(seen["targets"][0]["duration_seconds"].is_null());
  EXPECT_TRUE(seen["targets"][0]["phases"].back()["duration_seconds"].is_null());
  EXPECT_GT(seen["targets"][0]["bytes_total"].get<std::int64_t>(), 2 << 20);

  auto d = controller.wait_deployment(dep, std::chrono::seconds(90));
  ASSERT_EQ(d["status"], "succeeded") << d.dump(2);
  const auto& p = d["progress"];
  EXPECT_EQ(p["hosts"], 1);
  EXPECT_EQ(p["by_status"]["succeeded"], 1);
  EXPECT_EQ(p["by_phase"]["done"], 1);
  EXPECT_EQ(p["bytes_done"], p["bytes_total"]);
  EXPECT_GE(p["finished_at"].get<std::int64_t>(), p["started_at"].get<std::int64_t>());
  EXPECT_GE(p["duration_seconds"].get<std::int64_t>(), 0);
  const auto& t = d["targets"][0];
  EXPECT_EQ(t["duration_seconds"],
            t["finished_at"].get<std::int64_t>() - t["started_at"].get<std::int64_t>());
  for (const auto& ph : t["phases"]) EXPECT_TRUE(ph["duration_seconds"].is_number()) << ph;

  // One event per phase change, in order, from the agent; the bytes are in the target only.
  auto items = controller.events("deployment.progress,target.succeeded");
  std::vector<std::string> phases;
  for (const auto& e : items) {
    if (e["type"] == "target.succeeded") {
      phases.push_back("target.succeeded");
      continue;
    }
    EXPECT_EQ(e["actor"], "web-01");
    EXPECT_EQ(e["object_id"], std::to_string(dep));
    phases.push_back(e["detail"]["phase"]);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"queued", "downloading", "verifying", "installing",
                                              "target.succeeded"}))
      << items.dump();
  auto audit = controller.api("GET",
                              "/api/v1/audit?action=deployment.progress&object_type="
                              "deployment&object_id=" +
                                  std::to_string(dep));
  ASSERT_EQ(audit.status, 200) << audit.text;
  EXPECT_EQ(audit.body["items"].size(), 4u) << audit.text;
}

TEST_F(InstallerFaultTest, KeepsTheConfiguredNumberOfVersions) {
  auto& a = agent("web-01");
  a.config()["keep_versions"] = 2;
  a.start();
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0"}) {
    auto t = deploy_and_wait(upload_ok(package(v)), "web-01");
    ASSERT_EQ(t["status"], "succeeded") << t.dump(2);
  }
  EXPECT_FALSE(fs::exists(a.install_root() / "app" / "1.0.0"));
  EXPECT_FALSE(fs::exists(a.install_root() / "app" / "1.1.0"));
  EXPECT_TRUE(fs::exists(a.install_root() / "app" / "1.2.0"));
  EXPECT_EQ(current_of(a), "1.3.0");
}

}  // namespace
}  // namespace relman::test
