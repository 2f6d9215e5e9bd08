// The installer's way back and its limits: rollback orders, kept versions, the disk-space
// check, resumed downloads, platform checks, installs cut short before they changed the host,
// and payload kind "deb" through a real dpkg on a private --root.
#include <gtest/gtest.h>

#include <algorithm>

#include "agent/installer/disk_space.hpp"
#include "agent/installer/host_platform.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/agent/installer_fixture.hpp"

namespace relman::agent {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::write_file;

class InstallerRollbackTest : public InstallerTest {
 protected:
  // A signed rollback order for `package` `version` (the version the host runs now).
  protocol::DeployOrderMessage rollback_order(const std::string& id, const fs::path& package) {
    auto m = make_order(id, package);
    m.order.action = std::string(protocol::kOrderRollback);
    return sign_order(m.order, package);
  }

  std::vector<std::string> versions_on_disk() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "opt/app")) {
      auto name = e.path().filename().string();
      if (e.is_directory() && !e.is_symlink() && name != "current") out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(InstallerRollbackTest, RollbackOrderReturnsToThePreviousVersionAndRunsItsHooks) {
  auto installer = open_installer();
  auto v1 = make_package("app", "1.0.0", {{"bin/app", "one\n"}},
                         hooks("", "echo back on one >> ../v1-post.log", "test -f bin/app"));
  ASSERT_EQ(run(*installer, make_order("o-v1", v1)).status, "succeeded");
  auto v2 = make_package("app", "2.0.0", {{"bin/app", "two\n"}});
  ASSERT_EQ(run(*installer, make_order("o-v2", v2)).status, "succeeded");
  ASSERT_EQ(current(), "2.0.0");

  auto r = run(*installer, rollback_order("o-back", v2));
  EXPECT_EQ(r.status, "succeeded") << r.code << ": " << r.message;
  EXPECT_EQ(r.phase, "rolled_back");
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_EQ(installer->installed_version("app"), "1.0.0");
  EXPECT_NE(r.output.find("health_check: ok"), std::string::npos) << r.output;
  // The version's own post_install ran once at install and once when it came back.
  EXPECT_EQ(read_file(dir_ / "opt/app/v1-post.log"), "back on one\nback on one\n");
  EXPECT_EQ(fetches_, 2);  // nothing downloaded for the rollback
  EXPECT_NE(std::find(phases_.begin(), phases_.end(), "rolling_back"), phases_.end());

  // Nothing further back is kept: a second rollback is refused with its reason.
  auto again = run(*installer, rollback_order("o-back-2", v1));
  EXPECT_EQ(again.code, "rollback.no_previous_version") << again.message;
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerRollbackTest, RollbackOrderForAVersionTheHostDoesNotRunIsRefused) {
  auto installer = installed_v1();
  auto v2 = make_package("app", "2.0.0", {{"bin/app", "two\n"}});
  auto r = run(*installer, rollback_order("o-back", v2));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.code, "rollback.not_installed");
  EXPECT_EQ(r.phase, "failed");
  EXPECT_EQ(current(), "1.0.0");
}

TEST_F(InstallerRollbackTest, KeepsTheLastNVersionsAndRemovesOlderOnes) {
  configure_ = [](InstallerConfig& c) { c.keep_versions = 3; };
  auto installer = open_installer();
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}) {
    auto pkg = make_package("app", v, {{"bin/app", std::string(v) + "\n"}});
    ASSERT_EQ(run(*installer, make_order(std::string("o-") + v, pkg)).status, "succeeded");
  }
  EXPECT_EQ(versions_on_disk(), (std::vector<std::string>{"1.2.0", "1.3.0", "1.4.0"}));
  EXPECT_EQ(current(), "1.4.0");
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  EXPECT_EQ(state["packages"]["app"]["history"], (nlohmann::json{"1.2.0", "1.3.0", "1.4.0"}));
}

TEST_F(InstallerRollbackTest, KeepsThePreviousVersionEvenWithKeepVersionsOne) {
  configure_ = [](InstallerConfig& c) { c.keep_versions = 1; };
  auto installer = open_installer();
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0"}) {
    auto pkg = make_package("app", v, {{"bin/app", std::string(v) + "\n"}});
    ASSERT_EQ(run(*installer, make_order(std::string("o-") + v, pkg)).status, "succeeded");
  }
  // A rollback needs something to go back to.
  EXPECT_EQ(versions_on_disk(), (std::vector<std::string>{"1.1.0", "1.2.0"}));
}

TEST_F(InstallerRollbackTest, RefusesToDownloadWhenTheDiskIsFullAndSaysHowFull) {
  configure_ = [](InstallerConfig& c) {
    c.min_free_bytes = 1 << 20;
    c.disk_probe = [](const fs::path&) -> Result<FilesystemSpace> {
      return FilesystemSpace{7, 1536 * 1024};  // 1.5 MiB free
    };
  };
  auto installer = open_installer();
  std::string big(1 << 20, 'x');
  auto pkg = make_package("app", "1.0.0", {{"data/big", big}});
  auto r = run(*installer, make_order("o-1", pkg));
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.code, "agent.disk_full") << r.message;
  EXPECT_NE(r.message.find("1.5 MiB free"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("1.0 MiB must stay free"), std::string::npos) << r.message;
  EXPECT_EQ(fetches_, 0);
  EXPECT_FALSE(installer->already_executed("o-1"));  // tried again when space is made
}

TEST(DiskSpace, AddsNeedsOnOneFilesystemAndChecksEachFilesystem) {
  auto probe = [](const fs::path& p) -> Result<FilesystemSpace> {
    if (p == "/a" || p == "/b") return FilesystemSpace{1, 100};
    return FilesystemSpace{2, 1000};
  };
  EXPECT_TRUE(check_disk_space({{"/a", 40, "download"}, {"/c", 900, "files"}}, 10, probe));
  auto full = check_disk_space({{"/a", 50, "download"}, {"/b", 50, "files"}}, 10, probe);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, "agent.disk_full");
  EXPECT_NE(full.error().message.find("(100 bytes)"), std::string::npos) << full.error().message;
  auto broken = check_disk_space({{"/x", 1, "download"}}, 0, [](const fs::path&) {
    return Result<FilesystemSpace>(fail("io.statvfs_failed", "no such directory"));
  });
  EXPECT_EQ(broken.error().code, "io.statvfs_failed");
  EXPECT_TRUE(probe_filesystem("/tmp"));
  EXPECT_EQ(probe_filesystem("/nonexistent/relman").error().code, "io.statvfs_failed");
}

TEST_F(InstallerRollbackTest, BrokenDownloadIsResumedFromWhereItStopped) {
  auto installer = open_installer();
  std::string big(300 * 1024, 'y');
  auto pkg = make_package("app", "1.0.0", {{"data/big", big}});
  auto m = make_order("o-1", pkg);
  auto copy = fetcher();
  std::vector<std::uint64_t> started_at;
  // First try: the connection breaks after 100 KiB; then the real source resumes.
  auto flaky = [&](const protocol::DeployOrder& order, const fs::path& dest,
                   const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                   const std::function<void(std::uint64_t, std::string_view)>& on_data)
      -> Result<std::uint64_t> {
    started_at.push_back(fs::exists(dest) ? fs::file_size(dest) : 0);
    if (started_at.size() > 1) return copy(order, dest, progress, on_data);
    std::string head = read_file(pkg).substr(0, 100 * 1024);
    write_file(dest, head);
    on_data(0, head);
    return fail("http.interrupted", "connection reset by peer");
  };
  Installer flaky_installer(config(), flaky);
  ASSERT_TRUE(flaky_installer.open());
  auto r = flaky_installer.run(m, {});
  EXPECT_EQ(r.status, "succeeded") << r.code << ": " << r.message;
  EXPECT_EQ(started_at, (std::vector<std::uint64_t>{0, 100 * 1024}));
}

TEST_F(InstallerRollbackTest, DownloadThatKeepsBreakingFailsAfterItsAttempts) {
  configure_ = [](InstallerConfig& c) { c.download_attempts = 3; };
  int tries = 0;
  Installer installer(config(),
                      [&](const protocol::DeployOrder&, const fs::path&, const auto&,
                          const auto&) -> Result<std::uint64_t> {
                        ++tries;
                        return fail("http.interrupted", "connection reset by peer");
                      });
  ASSERT_TRUE(installer.open());
  auto pkg = make_package("app", "1.0.0", {{"bin/app", "one\n"}});
  auto r = installer.run(make_order("o-1", pkg), {});
  EXPECT_EQ(r.code, "http.interrupted");
  EXPECT_EQ(tries, 3);
  EXPECT_FALSE(installer.already_executed("o-1"));
}

TEST_F(InstallerRollbackTest, RefusesAPackageBuiltForAnotherPlatform) {
  configure_ = [](InstallerConfig& c) { c.platform = HostPlatform{"linux", "x86_64"}; };
  auto installer = open_installer();
  fs::path src = dir_ / "src-arm";
  write_file(src / "bin/app", "arm\n");
  packaging::BuildSpec spec;
  spec.manifest.name = "app";
  spec.manifest.version = "1.0.0";
  spec.manifest.platform = "linux-arm64";
  spec.payload_dir = src;
  fs::path out = dir_ / "arm.relpkg";
  ASSERT_TRUE(packaging::build_package(spec, out));
  ASSERT_TRUE(packaging::sign_package(out, publisher_));
  auto r = run(*installer, make_order("o-arm", out));
  EXPECT_EQ(r.code, "package.platform_mismatch") << r.message;
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/1.0.0"));
}

TEST(HostPlatform, AcceptsAnyTheOsAndDebianArchitectureNames) {
  HostPlatform host{"linux", "x86_64"};
  EXPECT_TRUE(check_platform("any", host));
  EXPECT_TRUE(check_platform("linux", host));
  EXPECT_TRUE(check_platform("linux-any", host));
  EXPECT_TRUE(check_platform("linux-x86_64", host));
  EXPECT_TRUE(check_platform("linux-amd64", host));
  EXPECT_EQ(check_platform("linux-arm64", host).error().code, "package.platform_mismatch");
  EXPECT_EQ(check_platform("freebsd-x86_64", host).error().code, "package.platform_mismatch");
}

TEST_F(InstallerRollbackTest, InstallCutShortBeforeItChangedTheHostRunsAgain) {
  installed_v1().reset();
  // What a kill during extraction of 2.0.0 leaves: a staging directory and the journal.
  write_file(dir_ / "opt/app/.staging-2.0.0-0123456789abcdef/bin/app", "half\n");
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  state["journal"] = {{"order_id", "o-v2"},   {"deployment_id", 42}, {"package", "app"},
                      {"version", "2.0.0"},   {"previous", "1.0.0"}, {"aside", ""},
                      {"phase", "extracting"}};
  write_file(dir_ / "state/state.json", state.dump());
  auto installer = open_installer();
  EXPECT_EQ(current(), "1.0.0");
  EXPECT_FALSE(fs::exists(dir_ / "opt/app/.staging-2.0.0-0123456789abcdef"));
  EXPECT_FALSE(installer->already_executed("o-v2"));  // the re-sent order runs again
  auto v2 = make_package("app", "2.0.0", {{"bin/app", "two\n"}});
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.status, "succeeded") << r.message;
  EXPECT_NE(r.message.find("on try 2"), std::string::npos) << r.message;
  EXPECT_EQ(current(), "2.0.0");
}

TEST_F(InstallerRollbackTest, InstallCutShortTooOftenIsGivenUp) {
  installed_v1().reset();
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  state["interrupted"] = {{"o-v2", kMaxInterruptedInstalls}};
  write_file(dir_ / "state/state.json", state.dump());
  auto installer = open_installer();
  auto v2 = make_package("app", "2.0.0", {{"bin/app", "two\n"}});
  auto r = run(*installer, make_order("o-v2", v2));
  EXPECT_EQ(r.code, "install.interrupted");
  EXPECT_EQ(r.phase, "failed");
  EXPECT_EQ(r.installed_version, "1.0.0");
  EXPECT_EQ(fetches_, 1);  // only v1's
  EXPECT_TRUE(installer->already_executed("o-v2"));
}

TEST_F(InstallerRollbackTest, UnknownJournalPhaseIsRefusedNotGuessed) {
  installed_v1().reset();
  auto state = nlohmann::json::parse(read_file(dir_ / "state/state.json"));
  state["journal"] = {{"order_id", "o-v2"},    {"deployment_id", 42}, {"package", "app"},
                      {"version", "2.0.0"},    {"previous", "1.0.0"}, {"aside", ""},
                      {"phase", "teleporting"}};
  write_file(dir_ / "state/state.json", state.dump());
  Installer installer(config(), fetcher());
  auto opened = installer.open();
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, "state.invalid");
  EXPECT_NE(opened.error().message.find("teleporting"), std::string::npos);
}

// ---- payload kind "deb", through a real dpkg on a private root ----

class DebInstallTest : public InstallerRollbackTest {
 protected:
  DebInstallTest() {
    fs::create_directories(root_ / "var/lib/dpkg/updates");
    fs::create_directories(root_ / "var/lib/dpkg/info");
    write_file(root_ / "var/lib/dpkg/status", "");
    configure_ = [this](InstallerConfig& c) {
      c.dpkg.options = {"--root=" + root_.string(), "--log=" + (dir_ / "dpkg.log").string()};
    };
  }

  // A .deb of relman-hello `version` holding /opt/hello/version.txt.
  fs::path make_deb(const std::string& version) {
    fs::path src = dir_ / ("deb-src-" + version);
    write_file(src / "DEBIAN/control", "Package: relman-hello\nVersion: " + version +
                                           "\nArchitecture: all\n"
                                           "Maintainer: relman tests <tests@example.invalid>\n"
                                           "Description: relman test package\n");
    write_file(src / "opt/hello/version.txt", version + "\n");
    fs::path deb = dir_ / ("hello-" + version + ".deb");
    auto built = test::run_command(
        {"/usr/bin/dpkg-deb", "--root-owner-group", "--build", src.string(), deb.string()});
    EXPECT_EQ(built.exit_code, 0) << built.output;
    return deb;
  }

  fs::path deb_package(const std::string& version, packaging::Hooks h = {}) {
    return make_package("hello", version, {{"hello.deb", read_file(make_deb(version))}},
                        std::move(h), "deb");
  }

  std::string dpkg_version() {
    auto r =
        test::run_command({"/usr/bin/dpkg-query", "--admindir=" + (root_ / "var/lib/dpkg").string(),
                           "--show", "--showformat=${Version} ${Status}", "relman-hello"});
    return r.exit_code == 0 ? r.output : "";
  }

  fs::path root_ = dir_ / "dpkg-root";
};

TEST_F(DebInstallTest, InstallsTheDebThroughDpkgAndRollsBackToThePreviousDeb) {
  auto installer = open_installer();
  auto r1 = run(*installer, make_order("o-1", deb_package("1.0.0")));
  ASSERT_EQ(r1.status, "succeeded") << r1.code << ": " << r1.message;
  EXPECT_EQ(read_file(root_ / "opt/hello/version.txt"), "1.0.0\n");
  EXPECT_EQ(dpkg_version(), "1.0.0 install ok installed");
  EXPECT_NE(r1.output.find("dpkg --install: ok"), std::string::npos) << r1.output;

  // 2.0.0 is installed by dpkg, then fails its health check: dpkg puts 1.0.0 back.
  auto r2 = run(*installer, make_order("o-2", deb_package("2.0.0", hooks("", "", "exit 4"))));
  EXPECT_EQ(r2.code, "install.health_check_failed") << r2.message;
  EXPECT_EQ(r2.phase, "rolled_back");
  EXPECT_EQ(r2.installed_version, "1.0.0");
  EXPECT_EQ(read_file(root_ / "opt/hello/version.txt"), "1.0.0\n");
  EXPECT_EQ(dpkg_version(), "1.0.0 install ok installed");
  EXPECT_EQ(installer->installed_version("hello"), "1.0.0");

  // A good 2.0.0, then a rollback order: dpkg installs the kept 1.0.0 .deb again.
  auto good = deb_package("2.0.0");
  fs::rename(good, dir_ / "hello-2.0.0-good.relpkg");
  auto r3 = run(*installer, make_order("o-3", dir_ / "hello-2.0.0-good.relpkg"));
  ASSERT_EQ(r3.status, "succeeded") << r3.message;
  EXPECT_EQ(dpkg_version(), "2.0.0 install ok installed");
  auto back = make_order("o-4", dir_ / "hello-2.0.0-good.relpkg");
  back.order.action = std::string(protocol::kOrderRollback);
  back = sign_order(back.order, dir_ / "hello-2.0.0-good.relpkg");
  auto r4 = run(*installer, back);
  EXPECT_EQ(r4.status, "succeeded") << r4.code << ": " << r4.message;
  EXPECT_EQ(dpkg_version(), "1.0.0 install ok installed");
  EXPECT_EQ(read_file(root_ / "opt/hello/version.txt"), "1.0.0\n");
}

TEST_F(DebInstallTest, FailedFirstInstallRemovesThePackageAgain) {
  auto installer = open_installer();
  auto r = run(*installer, make_order("o-1", deb_package("1.0.0", hooks("", "exit 2", ""))));
  EXPECT_EQ(r.code, "install.post_install_failed") << r.message;
  EXPECT_EQ(r.phase, "rolled_back");
  EXPECT_FALSE(fs::exists(root_ / "opt/hello/version.txt"));
  EXPECT_EQ(dpkg_version().find("install ok installed"), std::string::npos) << dpkg_version();
}

TEST_F(DebInstallTest, TamperedDebIsRefusedBeforeDpkgSeesIt) {
  auto installer = open_installer();
  auto pkg = deb_package("1.0.0");
  std::string bytes = read_file(pkg);
  auto at = bytes.find("debian-binary");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 20] ^= 0x20;
  write_file(pkg, bytes);
  auto r = run(*installer, make_order("o-1", pkg));
  EXPECT_EQ(r.code, "package.payload_hash_mismatch") << r.message;
  EXPECT_EQ(dpkg_version(), "");
  EXPECT_FALSE(fs::exists(dir_ / "dpkg.log"));
}

TEST_F(DebInstallTest, DebManifestMustHoldExactlyOneDeb) {
  fs::path src = dir_ / "two-files";
  write_file(src / "a.deb", "x");
  write_file(src / "b.txt", "y");
  packaging::BuildSpec spec;
  spec.manifest.name = "hello";
  spec.manifest.version = "1.0.0";
  spec.manifest.platform = "any";
  spec.manifest.payload_kind = "deb";
  spec.payload_dir = src;
  auto built = packaging::build_package(spec, dir_ / "two.relpkg");
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, "manifest.invalid");
}

}  // namespace
}  // namespace relman::agent
