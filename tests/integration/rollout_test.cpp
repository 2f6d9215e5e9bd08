// The rollout engine with five real agents (each its own certificate, state and install root)
// on loopback: waves in order, dependency order, a failing canary that stops the rollout,
// pause/resume/abort, a maintenance window that delays a host, and a controller killed with
// SIGKILL in the middle of a rollout that, restarted, finishes it with every host reported once.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <thread>

#include "protocol/clock.hpp"
#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::vector<std::string> kHosts = {"node-1", "node-2", "node-3", "node-4", "node-5"};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class RolloutTest : public ::testing::Test {
 protected:
  RolloutTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {}

  void SetUp() override {
    controller.start();
    for (const auto& id : kHosts) {
      agents.push_back(std::make_unique<AgentProcess>(tmp / id, pki, id, controller));
      agents.back()->start();
    }
    for (const auto& id : kHosts) {
      ASSERT_TRUE(poll([&] { return connected(id); }, 30s)) << id << " never connected";
    }
    auto r = controller.api("POST", "/api/v1/releases", json{{"title", "Payroll 2.5"}});
    ASSERT_EQ(r.status, 201) << r.text;
    release = r.body["id"];
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- controller log ----\n" << controller.log() << "\n";
      for (auto& a : agents) std::cerr << "---- agent " << a->id() << " log ----\n" << a->log();
    }
  }

  // wait_until, polling the API every 200 ms rather than every 20 ms (the machine is small).
  static bool poll(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
          if (condition()) return true;
          std::this_thread::sleep_for(200ms);
          return false;
        },
        timeout);
  }

  bool connected(const std::string& id) {
    auto r = controller.api("GET", "/api/v1/hosts/" + id);
    return r.status == 200 && r.body.value("connected", false);
  }

  AgentProcess& agent(const std::string& id) {
    return **std::find_if(agents.begin(), agents.end(), [&](auto& a) { return a->id() == id; });
  }

  // Makes the health checks of upload()'s packages fail on the host (its install root may not
  // exist before its first install).
  void mark_failing(const std::string& host) {
    std::filesystem::create_directories(agent(host).install_root());
    std::ofstream(agent(host).install_root() / "FAIL") << "x";
    ASSERT_TRUE(std::filesystem::exists(agent(host).install_root() / "FAIL"));
  }

  // A package whose health check records each run in the package directory, waits `hold`
  // seconds and fails on a host whose install root holds a file named FAIL.
  std::int64_t upload(const std::string& name, int hold = 0) {
    const std::string check =
        "echo ran >> ../health-runs; sleep " + std::to_string(hold) + "; test ! -e ../../FAIL";
    auto r = controller.upload(
        make_package(tmp / (name + ".rpkg"), name, "1.0.0", {{"f", "x"}}, &pki.publisher(), check));
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", std::int64_t{0});
  }

  ApiResult start(json body) {
    return controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/rollouts",
                          body);
  }

  json get(std::int64_t id) {
    return controller.api("GET", "/api/v1/rollouts/" + std::to_string(id)).body;
  }

  // Waits (bounded) until the rollout reaches a finished state; returns it.
  json wait_finished(std::int64_t id, std::chrono::seconds timeout = 90s) {
    json r;
    poll(
        [&] {
          r = get(id);
          auto s = r.value("state", "");
          return s == "succeeded" || s == "failed" || s == "aborted";
        },
        timeout);
    return r;
  }

  std::map<std::string, json> hosts_of(const json& rollout) {
    std::map<std::string, json> out;
    for (const auto& w : rollout["waves"]) {
      for (const auto& h : w["hosts"]) out[h["id"]] = h;
    }
    return out;
  }

  // The rollout's audit entries, oldest first, as "action host" strings.
  std::vector<std::string> history(std::int64_t id) {
    auto r = controller.api(
        "GET", "/api/v1/audit?object_type=rollout&object_id=" + std::to_string(id) + "&limit=500");
    std::vector<std::string> out;
    for (const auto& e : r.body["items"]) {
      auto detail =
          json::parse(e["detail"].is_string() ? e["detail"].get<std::string>() : e["detail"].dump(),
                      nullptr, false);
      std::string host = detail.is_object() ? detail.value("host", "") : "";
      out.push_back(e["action"].get<std::string>() + (host.empty() ? "" : " " + host));
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  static std::ptrdiff_t position(const std::vector<std::string>& h, const std::string& entry) {
    auto it = std::find(h.begin(), h.end(), entry);
    return it == h.end() ? -1 : it - h.begin();
  }

  // The deployment targets (over every deployment of the rollout) per host.
  std::map<std::string, int> targets_per_host(std::int64_t deployment) {
    auto d = controller.api("GET", "/api/v1/deployments/" + std::to_string(deployment));
    std::map<std::string, int> out;
    for (const auto& t : d.body["targets"]) out[t["host"]] += 1;
    return out;
  }

  TempDir tmp{"relman-rollout"};
  TestPki pki;
  ControllerProcess controller;
  std::vector<std::unique_ptr<AgentProcess>> agents;
  std::int64_t release = 0;
};

TEST_F(RolloutTest, WavesRunInOrderAndDependenciesFirst) {
  auto package = upload("app");
  auto r = start(
      {{"package_id", package},
       {"target", {{"hosts", kHosts}}},
       {"policy",
        {{"canary", {{"hosts", {"node-1"}}}}, {"batches", {{"count", 2}, {"max_concurrent", 2}}}}},
       {"dependencies", {{{"host", "node-2"}, {"depends_on", "node-5"}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  std::int64_t id = r.body["id"];
  ASSERT_GE(r.body["waves"].size(), 3u) << r.body.dump(2);
  auto done = wait_finished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  for (const auto& w : done["waves"]) EXPECT_EQ(w["state"], "succeeded") << w.dump(2);
  auto hist = history(id);
  // Every host of a wave was dispatched after every host of the wave before finished.
  for (std::size_t i = 1; i < done["waves"].size(); ++i) {
    for (const auto& before : done["waves"][i - 1]["hosts"]) {
      for (const auto& after : done["waves"][i]["hosts"]) {
        EXPECT_LT(position(hist, "rollout.host_succeeded " + before["id"].get<std::string>()),
                  position(hist, "rollout.host_dispatched " + after["id"].get<std::string>()))
            << before["id"] << " / " << after["id"];
      }
    }
  }
  EXPECT_LT(position(hist, "rollout.host_succeeded node-5"),
            position(hist, "rollout.host_dispatched node-2"));
  EXPECT_GE(position(hist, "rollout.host_succeeded node-5"), 0);
  for (const auto& [host, n] : targets_per_host(done["deployment_id"])) {
    EXPECT_EQ(n, 1) << host;
  }
  EXPECT_EQ(targets_per_host(done["deployment_id"]).size(), kHosts.size());
  // The state changes are events.
  auto events = controller.events("rollout.*").dump();
  EXPECT_NE(events.find("rollout.wave_succeeded"), std::string::npos) << events;
}

TEST_F(RolloutTest, FailingCanaryStopsTheRolloutBeforeTheNextWave) {
  mark_failing("node-1");
  auto package = upload("app");
  auto r = start({{"package_id", package},
                  {"target", {{"hosts", kHosts}}},
                  {"policy", {{"canary", {{"hosts", {"node-1"}}}}, {"batches", {{"count", 2}}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  std::int64_t id = r.body["id"];
  auto done = wait_finished(id);
  ASSERT_EQ(done["state"], "failed") << done.dump(2);
  EXPECT_EQ(done["failure_policy"], "stop");
  EXPECT_EQ(done["waves"][0]["state"], "failed");
  EXPECT_EQ(done["waves"][1]["state"], "skipped");
  EXPECT_TRUE(done["rollback"].is_null()) << done.dump(2);
  auto hosts = hosts_of(done);
  EXPECT_EQ(hosts["node-1"]["state"], "failed");
  EXPECT_EQ(hosts["node-1"]["error"]["code"], "install.health_check_failed") << done.dump(2);
  for (const auto& id_ : {"node-2", "node-3", "node-4", "node-5"}) {
    EXPECT_EQ(hosts[id_]["state"], "skipped") << id_;
    EXPECT_TRUE(hosts[id_]["target_id"].is_null()) << id_;
    EXPECT_FALSE(std::filesystem::exists(agent(id_).install_root() / "app")) << id_;
  }
  // A finished rollout cannot be paused; a failed one can retry its failed hosts.
  auto pause = controller.api("POST", "/api/v1/rollouts/" + std::to_string(id) + "/pause");
  EXPECT_EQ(pause.status, 409) << pause.text;
  EXPECT_EQ(pause.body["error"]["code"], "rollout.illegal_transition");
  std::filesystem::remove(agent("node-1").install_root() / "FAIL");
  auto retry = controller.api("POST", "/api/v1/rollouts/" + std::to_string(id) + "/retry-failed");
  ASSERT_EQ(retry.status, 200) << retry.text;
  done = wait_finished(id);
  EXPECT_EQ(done["state"], "succeeded") << done.dump(2);
}

// Every host runs app 1.0.0; the rollout of 2.0.0 (stop_and_rollback) succeeds on the canary
// node-1 and, one host at a time, on node-2 and node-3, then fails its health check on node-4
// (whose agent puts 1.0.0 back itself). The wave allows no failure: the rollout stops before
// node-5 and orders node-1..3 back to 1.0.0, which their agents carry out.
TEST_F(RolloutTest, StopAndRollbackReturnsTheChangedHostsToTheirPreviousVersion) {
  auto v1 = controller.upload(
      make_package(tmp / "app-1.rpkg", "app", "1.0.0", {{"f", "1"}}, &pki.publisher(), "true"));
  ASSERT_EQ(v1.status, 201) << v1.text;
  auto first =
      controller.api("POST", "/api/v1/releases/" + std::to_string(release) + "/deployments",
                     json{{"package_id", v1.body["id"]}, {"hosts", kHosts}});
  ASSERT_EQ(first.status, 201) << first.text;
  ASSERT_EQ(controller.wait_deployment(first.body["id"])["status"], "succeeded");
  mark_failing("node-4");
  auto v2 = controller.upload(make_package(tmp / "app-2.rpkg", "app", "2.0.0", {{"f", "2"}},
                                           &pki.publisher(), "test ! -e ../../FAIL"));
  ASSERT_EQ(v2.status, 201) << v2.text;
  auto r = start({{"package_id", v2.body["id"]},
                  {"target", {{"hosts", kHosts}}},
                  {"failure_policy", "stop_and_rollback"},
                  {"policy",
                   {{"canary", {{"hosts", {"node-1"}}}},
                    {"batches", {{"percent", 100}, {"max_concurrent", 1}}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  std::int64_t id = r.body["id"];
  auto done = wait_finished(id);
  ASSERT_EQ(done["state"], "failed") << done.dump(2);
  EXPECT_EQ(done["rollback"], "ordered");
  auto rolled_back = [&](const json& rollout, const std::string& host) {
    const json rb = hosts_of(rollout)[host]["rollback"];
    return rb.is_object() && rb["status"] == "succeeded";
  };
  json now;
  ASSERT_TRUE(poll(
      [&] {
        now = get(id);
        return rolled_back(now, "node-1") && rolled_back(now, "node-2") &&
               rolled_back(now, "node-3");
      },
      60s))
      << now.dump(2);
  auto hosts = hosts_of(now);
  EXPECT_EQ(hosts["node-4"]["state"], "failed");
  EXPECT_EQ(hosts["node-4"]["error"]["code"], "install.health_check_failed");
  EXPECT_TRUE(hosts["node-4"]["rollback"].is_null());  // its agent already went back
  EXPECT_EQ(hosts["node-5"]["state"], "skipped");
  EXPECT_TRUE(hosts["node-5"]["target_id"].is_null());
  for (const auto& host : kHosts) {
    EXPECT_EQ(std::filesystem::read_symlink(agent(host).install_root() / "app" / "current"),
              "1.0.0")
        << host;
  }
  // The rollback orders are one rollback deployment of the rollout's deployment.
  auto deployments = controller.api("GET", "/api/v1/deployments?limit=50");
  std::map<std::string, std::string> rolled_back_to;
  for (const auto& d : deployments.body["items"]) {
    if (d["action"] != "rollback") continue;
    EXPECT_EQ(d["rollback_of"], done["deployment_id"]) << d.dump(2);
    for (const auto& t : d["targets"]) rolled_back_to[t["host"]] = t["installed_version"];
  }
  EXPECT_EQ(rolled_back_to, (std::map<std::string, std::string>{
                                {"node-1", "1.0.0"}, {"node-2", "1.0.0"}, {"node-3", "1.0.0"}}))
      << deployments.text;
  auto hist = history(id);
  EXPECT_GE(position(hist, "rollout.rollback_ordered"), 0);
  EXPECT_LT(position(hist, "rollout.wave_failed"), position(hist, "rollout.rollback_ordered"));
}

TEST_F(RolloutTest, PauseResumeAndAbort) {
  auto package = upload("slow", 2);
  auto r = start({{"package_id", package},
                  {"target", {{"hosts", kHosts}}},
                  {"policy", {{"batches", {{"percent", 100}, {"max_concurrent", 1}}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  const std::string base = "/api/v1/rollouts/" + std::to_string(r.body["id"].get<std::int64_t>());
  ASSERT_TRUE(poll([&] { return get(r.body["id"])["counts"].value("dispatched", 0) > 0; }, 30s));
  auto paused = controller.api("POST", base + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.text;
  EXPECT_EQ(paused.body["state"], "paused");
  EXPECT_EQ(controller.api("POST", base + "/pause").status, 409);
  // The host in progress finishes; nothing new starts while paused.
  ASSERT_TRUE(poll([&] { return get(r.body["id"])["counts"].value("dispatched", 0) == 0; }, 30s));
  const auto finished = get(r.body["id"])["counts"].value("succeeded", 0);
  std::this_thread::sleep_for(3s);
  auto still = get(r.body["id"]);
  EXPECT_EQ(still["counts"].value("succeeded", 0), finished) << still.dump(2);
  EXPECT_EQ(still["counts"].value("dispatched", 0), 0) << still.dump(2);
  ASSERT_EQ(controller.api("POST", base + "/resume").status, 200);
  ASSERT_TRUE(
      poll([&] { return get(r.body["id"])["counts"].value("succeeded", 0) > finished; }, 30s));
  auto aborted = controller.api("POST", base + "/abort");
  ASSERT_EQ(aborted.status, 200) << aborted.text;
  EXPECT_EQ(aborted.body["state"], "aborted");
  EXPECT_GT(aborted.body["counts"].value("skipped", 0), 0) << aborted.body.dump(2);
  auto resume = controller.api("POST", base + "/resume");
  EXPECT_EQ(resume.status, 409) << resume.text;
  EXPECT_EQ(controller.api("POST", "/api/v1/rollouts/999999/pause").status, 404);
}

TEST_F(RolloutTest, MaintenanceWindowOfACmdbGroupDelaysAHostUntilItOpens) {
  auto package = upload("app");
  // node-3 is in group "night-shift" by the CMDB: its host CI is part_of that service.
  const std::int64_t node3 = controller.host_ci("node-3");
  auto shift = controller.api("POST", "/api/v1/cmdb/cis",
                              json{{"class", "service"}, {"name", "night-shift"}});
  ASSERT_EQ(shift.status, 201) << shift.text;
  auto part = controller.api("POST", "/api/v1/cmdb/cis/" + std::to_string(node3) + "/relationships",
                             json{{"type", "part_of"}, {"to", shift.body["id"]}});
  ASSERT_EQ(part.status, 201) << part.text;
  // A daily UTC window for that group that opens 30 to 90 seconds from now.
  const std::int64_t opens = (unix_seconds() + 30 + 59) / 60 * 60;
  const int minute = static_cast<int>((opens / 60) % 1440);
  auto hhmm = [](int m) {
    char buf[16];  // room for any int, so g++ sees no truncation
    std::snprintf(buf, sizeof buf, "%02d:%02d", (m / 60) % 24, m % 60);
    return std::string(buf);
  };
  auto r = start({{"package_id", package},
                  {"target", {{"hosts", kHosts}}},
                  {"policy", {{"batches", {{"percent", 100}}}}},
                  {"windows",
                   {{"maintenance",
                     {{{"name", "node-3 nightly"},
                       {"days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                       {"start", hhmm(minute)},
                       {"end", hhmm((minute + 30) % 1440)},
                       {"time_zone", "UTC"},
                       {"groups", {"night-shift"}}}}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  std::int64_t id = r.body["id"];
  // The rollout keeps the CMDB's group, so the window is checked again at dispatch.
  EXPECT_EQ(r.body["request"]["groups"],
            (json::array({{{"name", "night-shift"}, {"hosts", {"node-3"}}}})))
      << r.body["request"].dump();
  auto planned = hosts_of(r.body);
  EXPECT_EQ(planned["node-3"]["earliest_start"], opens) << r.body.dump(2);
  // The others finish while node-3 waits for its window.
  ASSERT_TRUE(poll(
      [&] {
        auto h = hosts_of(get(id));
        return std::all_of(kHosts.begin(), kHosts.end(), [&](const std::string& x) {
          return x == "node-3" || h[x]["state"] == "succeeded";
        });
      },
      60s));
  if (unix_seconds() < opens) {
    EXPECT_EQ(hosts_of(get(id))["node-3"]["state"], "waiting");
  }
  auto done = wait_finished(id, 150s);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  EXPECT_GE(hosts_of(done)["node-3"]["dispatched_at"].get<std::int64_t>(), opens);
}

TEST_F(RolloutTest, ControllerKilledMidRolloutFinishesWithEveryHostReportedOnce) {
  auto package = upload("slow", 1);
  auto r = start({{"package_id", package},
                  {"target", {{"hosts", kHosts}}},
                  {"policy", {{"batches", {{"percent", 100}, {"max_concurrent", 2}}}}}});
  ASSERT_EQ(r.status, 201) << r.text;
  std::int64_t id = r.body["id"];
  ASSERT_TRUE(poll([&] { return get(id)["counts"].value("succeeded", 0) >= 1; }, 60s));
  controller.kill9();
  controller.start();  // same port and database; the agents reconnect by themselves
  auto done = wait_finished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  auto targets = targets_per_host(done["deployment_id"]);
  EXPECT_EQ(targets.size(), kHosts.size());
  for (const auto& host : kHosts) {
    EXPECT_EQ(targets[host], 1) << host;
    EXPECT_EQ(hosts_of(done)[host]["attempts"], 1) << host;
    // Installed once: a re-sent order is answered from the agent's record.
    EXPECT_EQ(read_file(agent(host).install_root() / "slow" / "health-runs"), "ran\n") << host;
  }
  auto hist = history(id);
  for (const auto& host : kHosts) {
    EXPECT_EQ(std::count(hist.begin(), hist.end(), "rollout.host_succeeded " + host), 1) << host;
  }
}

}  // namespace
}  // namespace relman::test
