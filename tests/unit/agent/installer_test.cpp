#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/agent/installer_fixture.hpp"

namespace relman::agent {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::write_file;

TEST_F(InstallerTest, InstallsIntoAVersionDirectoryAndSwitchesCurrent) {
  auto installer = open_installer();
  auto pkg =
      make_package("app", "1.0.0", {{"bin/app", "version one\n"}, {"etc/app.conf", "x=1\n"}});
  auto r = run(*installer, make_order("o-1", pkg));
  ASSERT_EQ(r.status, "succeeded") << r.code << ": " << r.message;
  EXPECT_EQ(r.code, "");
  EXPECT_EQ(r.order_id, "o-1");
  EXPECT_EQ(r.deployment_id, 42);
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ(read_file(dir_ / "opt/app/1.0.0/bin/app"), "version one\n");
  EXPECT_EQ(read_file(dir_ / "opt/app/1.0.0/etc/app.conf"), "x=1\n");
  EXPECT_EQ(current(), "1.0.0");  // relative, so the tree can move
  EXPECT_EQ(read_file(dir_ / "opt/app/current/bin/app"), "version one\n");
  EXPECT_EQ((std::vector<std::string>{"queued", "downloading", "verifying", "installing"}),
            phases_);
  EXPECT_EQ(installer->installed_version("app"), "1.0.0");
  EXPECT_TRUE(installer->already_executed("o-1"));
  EXPECT_FALSE(fs::exists(dir_ / "state/downloads" / (r.order_id + ".part")));
  EXPECT_TRUE(fs::is_empty(dir_ / "state/downloads"));

  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  EXPECT_EQ(state["installed"]["app"], "1.0.0");
  ASSERT_EQ(state["results"].size(), 1u);
  EXPECT_EQ(state["results"][0]["order_id"], "o-1");
  EXPECT_EQ(state["results"][0]["status"], "succeeded");
  EXPECT_FALSE(state.contains("journal"));
}

TEST_F(InstallerTest, ReSentOrderGetsTheSameResultWithoutReinstalling) {
  auto installer = open_installer();
  auto pkg = make_package("app", "1.0.0", {{"bin/app", "one\n"}},
                          hooks("", "echo run >> ../post.log", ""));
  auto m = make_order("o-1", pkg);
  auto first = run(*installer, m);
  ASSERT_EQ(first.status, "succeeded") << first.message;
  auto second = run(*installer, m);
  EXPECT_EQ(second.status, first.status);
  EXPECT_EQ(second.message, first.message);
  EXPECT_EQ(second.installed_version, "1.0.0");
  EXPECT_EQ(fetches_, 1);
  EXPECT_TRUE(phases_.empty());
  EXPECT_EQ(read_file(dir_ / "opt/app/post.log"), "run\n");

  // And after a restart of the agent.
  auto reopened = open_installer();
  auto third = run(*reopened, m);
  EXPECT_EQ(third.status, "succeeded");
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(reopened->installed_version("app"), "1.0.0");
}

TEST_F(InstallerTest, UpgradeSwitchesCurrentAndPassesTheVersionsToHooks) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "version two\n"}},
                         hooks("",
                               "echo \"$RELMAN_PACKAGE $RELMAN_PREVIOUS_VERSION -> "
                               "$RELMAN_VERSION in $RELMAN_INSTALL_DIR\" > hook.out",
                               ""));
  auto r = run(*installer, make_order("o-v2", v2));
  ASSERT_EQ(r.status, "succeeded") << r.code << ": " << r.message;
  EXPECT_EQ(r.installed_version, "1.1.0");
  EXPECT_EQ(current(), "1.1.0");
  EXPECT_EQ(read_file(dir_ / "opt/app/current/bin/app"), "version two\n");
  EXPECT_EQ(read_file(dir_ / "opt/app/1.1.0/hook.out"),
            "app 1.0.0 -> 1.1.0 in " + (dir_ / "opt/app/1.1.0").string() + "\n");
  EXPECT_TRUE(fs::exists(dir_ / "opt/app/1.0.0/bin/app"));  // kept for a rollback
  EXPECT_EQ(installer->installed_version("app"), "1.1.0");
}

TEST_F(InstallerTest, FailingHealthCheckRollsBackWithTheOutputTail) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "version two\n"}},
                         hooks("", "", "echo starting; echo port 8080 $((8000 + 80)) >&2; exit 3"));
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.code, "install.health_check_failed");
  EXPECT_EQ(r.phase, "rolled_back");
  EXPECT_NE(r.message.find("status 3"), std::string::npos) << r.message;
  // The output travels beside the message: both streams, under the hook's outcome.
  EXPECT_NE(r.output.find("== health_check: exited with status 3 =="), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("starting\nport 8080 8080"), std::string::npos) << r.output;
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ((std::vector<std::string>{"queued", "downloading", "verifying", "installing",
                                      "health_check", "rolling_back"}),
            phases_);
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_EQ(read_file(dir_ / "opt/app/current/bin/app"), "version one\n");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  EXPECT_EQ(installer->installed_version("app"), "1.0.0");
  EXPECT_EQ(installer->recorded_result("o-v2")->code, "install.health_check_failed");
  EXPECT_NE(read_file(dir_ / "state/hook-health_check.log").find("starting"), std::string::npos);
}

TEST_F(InstallerTest, OnlyTheTailOfLongHookOutputIsQuoted) {
  auto installer = installed_v1();
  auto v2 = make_package(
      "app", "1.1.0", {{"bin/app", "two\n"}},
      hooks("", "", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done; exit 1"));
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.code, "install.health_check_failed");
  EXPECT_NE(r.output.find("line-1999\n"), std::string::npos);
  EXPECT_EQ(r.output.find("line-10\n"), std::string::npos);
  EXPECT_LE(r.output.size(), protocol::kMaxHookOutputBytes);
  EXPECT_LE(r.message.size(), 4096u);
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerTest, FailingHealthCheckOnAFirstInstallRemovesCurrent) {
  auto installer = open_installer();
  auto pkg = make_package("app", "1.0.0", {{"bin/app", "one\n"}}, hooks("", "", "false"));
  auto r = run(*installer, make_order("o-1", pkg));
  EXPECT_EQ(r.code, "install.health_check_failed");
  EXPECT_EQ(r.installed_version, "");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "opt/app/current")));
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.0.0"));
  EXPECT_EQ(installer->installed_version("app"), std::nullopt);
}

TEST_F(InstallerTest, FailingPreInstallLeavesCurrentOnTheOldVersion) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}},
                         hooks("echo 'disk check failed'; exit 1", "touch ../post-ran", ""));
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.code, "install.pre_install_failed");
  EXPECT_NE(r.message.find("disk check failed"), std::string::npos);
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/post-ran"));
  EXPECT_EQ(installer->installed_version("app"), "1.0.0");
}

TEST_F(InstallerTest, FailingPostInstallSwitchesBack) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}}, hooks("", "exit 9", ""));
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.code, "install.post_install_failed");
  EXPECT_NE(r.message.find("status 9"), std::string::npos);
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerTest, HookTimeoutKillsTheProcessGroupAndRollsBack) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}},
                         hooks("", "", "echo waiting; sleep 30 & sleep 30; wait", 1));
  auto started = std::chrono::steady_clock::now();
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(r.code, "install.health_check_failed");
  EXPECT_NE(r.message.find("timed out"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("waiting"), std::string::npos) << r.message;
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerTest, HooksRunInTheVersionDirectoryWithNoStdin) {
  auto installer = open_installer();
  auto pkg = make_package("app", "1.0.0", {{"bin/app", "one\n"}},
                          hooks("pwd > ../pre.pwd; cat > ../pre.stdin", "", ""));
  auto r = run(*installer, make_order("o-1", pkg));
  ASSERT_EQ(r.status, "succeeded") << r.message;
  EXPECT_EQ(read_file(dir_ / "opt/app/pre.pwd"), (dir_ / "opt/app/1.0.0").string() + "\n");
  EXPECT_EQ(read_file(dir_ / "opt/app/pre.stdin"), "");
}

TEST_F(InstallerTest, RefusesAPackageWhoseHashDiffersFromTheOrder) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}});
  auto other = make_package("app", "1.2.0", {{"bin/app", "three\n"}});
  auto r = run(*installer, make_order("o-v2", v2, other));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.code, "package.hash_mismatch");
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.2.0"));
  EXPECT_TRUE(fs::is_empty(dir_ / "state/downloads"));
  // Bytes that never matched the order are not an execution: a re-sent order is tried again.
  EXPECT_FALSE(installer->already_executed("o-v2"));
}

TEST_F(InstallerTest, RefusesAnOrderNamingAnotherVersionThanThePackage) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}});
  auto m = make_order("o-v2", v2);
  m.order.package_version = "1.2.0";  // the controller signed the wrong version for this file
  m = sign_order(m.order, v2);
  auto r = run(*installer, m);
  EXPECT_EQ(r.code, "order.package_mismatch");
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.2.0"));
}

TEST_F(InstallerTest, RefusesAnOrderNamingAnotherManifest) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}});
  auto m = make_order("o-v2", v2);
  m.order.manifest_sha256 = std::string(64, 'c');
  m = sign_order(m.order, v2);
  auto r = run(*installer, m);
  EXPECT_EQ(r.code, "order.manifest_mismatch");
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerTest, TamperedPayloadIsRefusedWithThePackagingCode) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "ORIGINAL-PAYLOAD-BYTES\n"}});
  std::string bytes = read_file(v2);
  auto at = bytes.find("ORIGINAL-PAYLOAD-BYTES");
  ASSERT_NE(at, std::string::npos) << "package is expected to be an uncompressed tar";
  bytes.replace(at, 8, "TAMPERED");
  write_file(v2, bytes);
  // The order names the tampered file (say the DML itself was altered): only the publisher's
  // signed manifest can catch it.
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.code, "package.payload_hash_mismatch") << r.message;
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  for (const auto& e : fs::directory_iterator(dir_ / "opt/app")) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".staging-")) << e.path();
  }
}

TEST_F(InstallerTest, RefusesAPackageSignedByAnUntrustedPublisher) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}});
  auto stranger = packaging::generate_signing_key();
  fs::path unsigned_pkg = dir_ / "stranger.relpkg";
  packaging::BuildSpec spec;
  spec.manifest.name = "app";
  spec.manifest.version = "1.1.0";
  spec.manifest.platform = "any";
  spec.payload_dir = dir_ / "src-app-1.1.0";
  ASSERT_TRUE(packaging::build_package(spec, unsigned_pkg));
  ASSERT_TRUE(packaging::sign_package(unsigned_pkg, stranger));
  auto r = run(*installer, make_order("o-v2", unsigned_pkg));
  EXPECT_EQ(r.code, "package.signature_untrusted") << r.message;
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerTest, RefusedOrdersReportTheirCodeAndTouchNothing) {
  auto installer = installed_v1();
  auto v09 = make_package("app", "0.9.0", {{"bin/app", "old\n"}});
  auto r = run(*installer, make_order("o-old", v09));
  EXPECT_EQ(r.code, "order.downgrade_refused");
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ(phases_, std::vector<std::string>{});
  EXPECT_EQ(fetches_, 1);

  auto wrong = make_order("o-wrong", v09, std::nullopt, true);
  wrong.order.host_id = "db-07";
  wrong = sign_order(wrong.order, v09);
  EXPECT_EQ(run(*installer, wrong).code, "order.wrong_host");

  auto allowed = run(*installer, make_order("o-down", v09, std::nullopt, true));
  EXPECT_EQ(allowed.status, "succeeded") << allowed.message;
  EXPECT_EQ(current(), "0.9.0");
}

TEST_F(InstallerTest, ReinstallingTheSameVersionReplacesItsDirectory) {
  auto installer = installed_v1();
  write_file(dir_ / "opt/app/1.0.0/stray", "left by someone");
  auto again = make_order("o-again", dir_ / "app-1.0.0.relpkg");
  auto r = run(*installer, again);
  ASSERT_EQ(r.status, "succeeded") << r.message;
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.0.0/stray"));
  EXPECT_EQ(read_file(dir_ / "opt/app/current/bin/app"), "version one\n");
}

TEST_F(InstallerTest, FetchFailureIsReportedAndRetriedOnResend) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "1.1.0", {{"bin/app", "two\n"}});
  auto m = make_order("o-v2", v2);
  sources_.erase(m.order.download_path);
  auto r = run(*installer, m);
  EXPECT_EQ(r.code, "http.status_404");
  EXPECT_FALSE(installer->already_executed("o-v2"));
  sources_[m.order.download_path] = v2;
  EXPECT_EQ(run(*installer, m).status, "succeeded");
}

TEST_F(InstallerTest, InterruptedInstallIsRolledBackOnOpen) {
  installed_v1().reset();
  // What a power loss after the switch to 1.1.0 but before its result leaves behind.
  write_file(dir_ / "opt/app/1.1.0/bin/app", "half-installed\n");
  fs::remove(dir_ / "opt/app/current");
  fs::create_symlink("1.1.0", dir_ / "opt/app/current");
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  state["journal"] = {{"order_id", "o-crash"}, {"deployment_id", 42}, {"package", "app"},
                      {"version", "1.1.0"},    {"previous", "1.0.0"}, {"aside", ""}};
  write_file(dir_ / "state/state.json", state.dump());

  auto installer = open_installer();
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.1.0"));
  auto recorded = installer->recorded_result("o-crash");
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->code, "install.interrupted");
  EXPECT_EQ(installer->installed_version("app"), "1.0.0");
}

TEST_F(InstallerTest, DownloadProgressIsThrottled) {
  auto installer = open_installer();
  std::string big;
  for (std::uint64_t i = 0; big.size() < (4u << 20); ++i) big += std::to_string(i * 7919) + "\n";
  auto pkg = make_package("app", "1.0.0", {{"data/big", big}});
  auto started = std::chrono::steady_clock::now();
  auto r = run(*installer, make_order("o-1", pkg));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.status, "succeeded") << r.message;
  std::vector<protocol::DeployProgress> downloading;
  for (const auto& p : reports_) {
    EXPECT_EQ(p.order_id, "o-1");
    EXPECT_EQ(p.deployment_id, 42);
    if (p.phase == "downloading") downloading.push_back(p);
  }
  // The fetcher reports every 4 KiB (1000+ times); the sink sees at most one a second.
  ASSERT_FALSE(downloading.empty());
  EXPECT_LE(downloading.size(), 1 + static_cast<std::size_t>(elapsed / std::chrono::seconds(1)));
  // The next phase says the download is complete.
  auto verifying = std::find_if(reports_.begin(), reports_.end(),
                                [](const auto& p) { return p.phase == "verifying"; });
  ASSERT_NE(verifying, reports_.end());
  EXPECT_EQ(verifying->bytes_done, static_cast<std::int64_t>(fs::file_size(pkg)));
  EXPECT_EQ(verifying->bytes_total, static_cast<std::int64_t>(fs::file_size(pkg)));
}

TEST_F(InstallerTest, KeepsTheLast200Results) {
  nlohmann::json results = nlohmann::json::array();
  for (int i = 0; i < 200; ++i) {
    results.push_back({{"order_id", "r-" + std::to_string(i)},
                       {"deployment_id", 1},
                       {"status", "failed"},
                       {"code", "install.health_check_failed"},
                       {"message", "x"},
                       {"installed_version", ""}});
  }
  write_file(
      dir_ / "state/state.json",
      nlohmann::json{{"schema", 1}, {"installed", nlohmann::json::object()}, {"results", results}}
          .dump());
  auto installer = open_installer();
  EXPECT_TRUE(installer->already_executed("r-0"));
  auto pkg = make_package("app", "1.0.0", {{"bin/app", "one\n"}});
  ASSERT_EQ(run(*installer, make_order("o-new", pkg)).status, "succeeded");
  EXPECT_FALSE(installer->already_executed("r-0"));
  EXPECT_TRUE(installer->already_executed("r-1"));
  EXPECT_TRUE(installer->already_executed("o-new"));
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  EXPECT_EQ(state["results"].size(), 200u);
  EXPECT_EQ(state["results"].back()["order_id"], "o-new");
}

TEST_F(InstallerTest, CorruptStateIsRefused) {
  write_file(dir_ / "state/state.json", "{\"schema\": 1, \"installed\": ");
  Installer installer(config(), fetcher());
  auto opened = installer.open();
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "state.invalid");
  write_file(dir_ / "state/state.json", R"({"schema": 1, "installed": {"app": 3}, "results": []})");
  EXPECT_EQ(Installer(config(), fetcher()).open().error().code, "state.invalid");
}

}  // namespace
}  // namespace relman::agent
