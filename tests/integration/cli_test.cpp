// The relman command as people and scripts use it: real binary, real files, a real controller
// and agent. Success prints what happened; every failure is one line and a non-zero exit.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {
using nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  CommandResult relman(std::vector<std::string> args, const std::string& stdin_text = {}) {
    args.insert(args.begin(), binary_path("relman").string());
    return run_command(
        args, {{"RELMAN_SESSION", (tmp / "session.json").string()}, {"HOME", tmp.path().string()}},
        stdin_text);
  }
  std::string p(const std::string& name) { return (tmp / name).string(); }

  CommandResult log_in(ControllerProcess& controller, TestPki& pki) {
    return relman({"login", "--url", controller.url(), "--ca", pki.ca_cert().string(), "--user",
                   "admin", "--password-stdin"},
                  controller.admin_password() + "\n");
  }

  // The output has exactly one line and it starts with "relman: <code>".
  static void expect_one_error_line(const CommandResult& r, const std::string& code) {
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("relman: " + code), 0u) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }

  TempDir tmp{"relman-cli"};
};

TEST_F(CliTest, OfflineCommandsBuildSignAndVerifyAPackage) {
  ASSERT_EQ(relman({"pkg", "keygen", "--out", p("pub")}).exit_code, 0);
  ASSERT_EQ(relman({"pkg", "keygen", "--out", p("order")}).exit_code, 0);
  auto trust = relman({"trust", "init", "--publisher", "team=" + p("pub.pub"), "--order-key",
                       "controller=" + p("order.pub"), "--out", p("trust.json")});
  ASSERT_EQ(trust.exit_code, 0) << trust.output;
  write_file(tmp / "site" / "index.html", "<h1>hi</h1>\n");
  auto build = relman({"pkg", "build", "--name", "site", "--version", "1.2.3", "--payload",
                       p("site"), "--out", p("site.rpkg")});
  ASSERT_EQ(build.exit_code, 0) << build.output;
  auto unsigned_verify = relman({"pkg", "verify", p("site.rpkg"), "--trust", p("trust.json")});
  expect_one_error_line(unsigned_verify, "package.signature_untrusted");
  ASSERT_EQ(relman({"pkg", "sign", p("site.rpkg"), "--key", p("pub.key")}).exit_code, 0);
  auto verify = relman({"pkg", "verify", p("site.rpkg"), "--trust", p("trust.json")});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("site 1.2.3"), std::string::npos) << verify.output;
  auto inspect = relman({"pkg", "inspect", p("site.rpkg")});
  EXPECT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.output.find("index.html"), std::string::npos) << inspect.output;
}

TEST_F(CliTest, BadInputIsOneLineAndNonZero) {
  expect_one_error_line(relman({"pkg", "inspect", p("missing.rpkg")}), "package.");
  write_file(tmp / "garbage.rpkg", "this is not a tar");
  expect_one_error_line(relman({"pkg", "inspect", p("garbage.rpkg")}), "package.");
  auto usage = relman({"pkg", "build", "--name", "x"});
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_EQ(usage.output.find("relman: usage:"), 0u) << usage.output;
  expect_one_error_line(relman({"release", "list"}), "cli.not_logged_in");
  ASSERT_EQ(relman({"ca", "init", "--dir", p("ca")}).exit_code, 0);
  expect_one_error_line(relman({"ca", "init", "--dir", p("ca")}), "pki.exists");
  expect_one_error_line(relman({"ca", "issue", "--dir", p("ca"), "--kind", "agent", "--cn",
                                "bad id!", "--cert", p("a.crt"), "--key", p("a.key")}),
                        "pki.invalid_name");
}

TEST_F(CliTest, ReleaseManagerDeploysThroughTheApi) {
  TestPki pki(tmp / "pki");
  ControllerProcess controller(tmp / "controller", pki);
  controller.start();
  AgentProcess agent(tmp / "agent", pki, "web-01", controller);
  agent.start();

  auto login = log_in(controller, pki);
  ASSERT_EQ(login.exit_code, 0) << login.output;
  EXPECT_NE(login.output.find("logged in"), std::string::npos);
  auto wrong = relman({"login", "--url", controller.url(), "--ca", pki.ca_cert().string(), "--user",
                       "admin", "--password-stdin"},
                      "nope\n");
  expect_one_error_line(wrong, "auth.invalid_credentials");

  make_package(tmp / "app.rpkg", "app", "3.1.0", {{"run", "ok\n"}}, &pki.publisher());
  auto upload = relman({"package", "upload", p("app.rpkg")});
  ASSERT_EQ(upload.exit_code, 0) << upload.output;
  EXPECT_NE(upload.output.find("uploaded app 3.1.0"), std::string::npos) << upload.output;

  auto release = relman({"release", "create", "--title", "App 3.1"});
  ASSERT_EQ(release.exit_code, 0) << release.output;
  EXPECT_NE(release.output.find("REL-000001"), std::string::npos) << release.output;

  // Only authorized versions are deployed: test, then authorize.
  auto early = relman(
      {"deploy", "--release", "1", "--package", "app", "--version", "3.1.0", "--host", "web-01"});
  expect_one_error_line(early, "package.not_authorized");
  expect_one_error_line(relman({"package", "authorize", "1"}), "package.illegal_transition");
  auto tested = relman({"package", "test", "1", "--reason", "smoke tests green"});
  ASSERT_EQ(tested.exit_code, 0) << tested.output;
  EXPECT_NE(tested.output.find("is now tested; next: authorize, revoke"), std::string::npos)
      << tested.output;
  auto authorized = relman({"package", "authorize", "1"});
  ASSERT_EQ(authorized.exit_code, 0) << authorized.output;
  EXPECT_NE(authorized.output.find("is now authorized"), std::string::npos) << authorized.output;
  auto no_reason = relman({"package", "revoke", "1"});
  EXPECT_NE(no_reason.exit_code, 0) << "--reason is required to revoke";

  auto deploy = relman({"deploy", "--release", "1", "--package", "app", "--version", "3.1.0",
                        "--host", "web-01", "--wait", "60"});
  EXPECT_EQ(deploy.exit_code, 0) << deploy.output << "\n" << agent.log();
  EXPECT_NE(deploy.output.find("succeeded"), std::string::npos) << deploy.output;
  EXPECT_EQ(read_file(agent.install_root() / "app" / "current" / "run"), "ok\n");

  // A failing deployment exits 1 and says why.
  make_package(tmp / "bad.rpkg", "app", "3.2.0", {{"run", "ok\n"}}, &pki.publisher(), "false");
  ASSERT_EQ(relman({"package", "upload", p("bad.rpkg")}).exit_code, 0);
  ASSERT_EQ(relman({"package", "test", "2"}).exit_code, 0);
  ASSERT_EQ(relman({"package", "authorize", "2"}).exit_code, 0);
  auto failed = relman({"deploy", "--release", "1", "--package", "app", "--version", "3.2.0",
                        "--host", "web-01", "--wait", "60"});
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("install.health_check_failed"), std::string::npos) << failed.output;
  EXPECT_EQ(read_file(agent.install_root() / "app" / "current" / "run"), "ok\n");

  auto hosts = relman({"hosts", "list"});
  EXPECT_EQ(hosts.exit_code, 0);
  EXPECT_NE(hosts.output.find("web-01"), std::string::npos) << hosts.output;
  auto missing = relman({"package", "upload", p("nope.rpkg")});
  expect_one_error_line(missing, "cli.file_not_found");

  // Revoked: final, and never deployed again.
  auto revoked = relman({"package", "revoke", "2", "--reason", "health check fails"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  EXPECT_NE(revoked.output.find("is now revoked; next: none"), std::string::npos) << revoked.output;
  expect_one_error_line(relman({"deploy", "--release", "1", "--package", "app", "--version",
                                "3.2.0", "--host", "web-01"}),
                        "package.revoked");
}

TEST_F(CliTest, InventoryNowAndStaleHosts) {
  TestPki pki(tmp / "pki");
  ControllerProcess controller(tmp / "controller", pki);
  controller.config_overrides()["host_stale_after_seconds"] = 1;
  controller.start();
  AgentProcess agent(tmp / "agent", pki, "web-01", controller);
  agent.start();
  auto login = log_in(controller, pki);
  ASSERT_EQ(login.exit_code, 0) << login.output;
  ASSERT_TRUE(wait_until([&] {
    return !controller.api("GET", "/api/v1/hosts/web-01").body.value("inventory_hash", "").empty();
  }));

  auto now = relman({"inventory-now", "web-01"});
  EXPECT_EQ(now.exit_code, 0) << now.output;
  EXPECT_NE(now.output.find("asked web-01 for a delta inventory report"), std::string::npos)
      << now.output;
  auto full = relman({"hosts", "inventory-now", "web-01", "--full", "--json"});
  EXPECT_EQ(full.exit_code, 0) << full.output;
  EXPECT_NE(full.output.find("\"full\""), std::string::npos) << full.output;
  expect_one_error_line(relman({"inventory-now", "nobody"}), "host.not_found");

  auto fresh = relman({"hosts", "list", "--fresh"});
  EXPECT_NE(fresh.output.find("web-01"), std::string::npos) << fresh.output;
  auto by_query = relman({"hosts", "list", "--query", "hostname != \"\""});
  EXPECT_NE(by_query.output.find("web-01"), std::string::npos) << by_query.output;
  expect_one_error_line(relman({"hosts", "list", "--query", "any ("}), "query.syntax");

  agent.stop();
  ASSERT_TRUE(wait_until([&] {
    return relman({"hosts", "list", "--stale"}).output.find("web-01") != std::string::npos;
  }));
  EXPECT_EQ(relman({"hosts", "list", "--fresh"}).output.find("web-01"), std::string::npos);
  expect_one_error_line(relman({"inventory-now", "web-01"}), "host.offline");
  auto both = relman({"hosts", "list", "--stale", "--fresh"});
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

TEST_F(CliTest, SoftwarePoliciesAndHostsOutOfPolicy) {
  TestPki pki(tmp / "pki");
  ControllerProcess controller(tmp / "controller", pki);
  controller.start();
  AgentProcess agent(tmp / "agent", pki, "web-01", controller);
  agent.start();
  ASSERT_EQ(log_in(controller, pki).exit_code, 0);
  ASSERT_TRUE(wait_until([&] {
    return !controller.api("GET", "/api/v1/hosts/web-01").body.value("inventory_hash", "").empty();
  }));
  auto farm =
      controller.api("POST", "/api/v1/cmdb/cis", json{{"class", "service"}, {"name", "web-farm"}});
  ASSERT_EQ(farm.status, 201) << farm.text;
  ASSERT_EQ(controller
                .api("POST",
                     "/api/v1/cmdb/cis/" + std::to_string(controller.host_ci("web-01")) +
                         "/relationships",
                     json{{"type", "part_of"}, {"to", farm.body["id"]}})
                .status,
            201);

  auto empty = relman({"compliance"});
  EXPECT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_NE(empty.output.find("no software policies"), std::string::npos) << empty.output;
  auto add = relman({"policy", "add", "--group", "web-farm", "--package", "no-such-package",
                     "--min-version", "1:2.0~rc1", "--note", "needed"});
  ASSERT_EQ(add.exit_code, 0) << add.output;
  EXPECT_NE(add.output.find("policy 1: hosts in group web-farm must have dpkg package "
                            "no-such-package (>= 1:2.0~rc1)"),
            std::string::npos)
      << add.output;
  auto list = relman({"policy", "list", "--group", "web-farm"});
  EXPECT_NE(list.output.find("no-such-package"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("needed"), std::string::npos) << list.output;

  auto report = relman({"compliance", "--group", "web-farm"});
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("1 host(s) out of policy"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("web-01"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("missing"), std::string::npos) << report.output;
  EXPECT_EQ(relman({"compliance", "--exit-code"}).exit_code, 3);
  auto as_json = relman({"compliance", "--json", "--host", "web-01"});
  EXPECT_NE(as_json.output.find("\"reason\": \"missing\""), std::string::npos) << as_json.output;

  expect_one_error_line(
      relman({"policy", "add", "--group", "web-farm", "--package", "x", "--min-version", "v1"}),
      "software_policy.invalid_min_version");
  expect_one_error_line(
      relman({"policy", "add", "--group", "web-farm", "--package", "no-such-package"}),
      "software_policy.exists");
  expect_one_error_line(relman({"policy", "add", "--group", "nowhere", "--package", "x"}),
                        "software_policy.unknown_group");
  expect_one_error_line(relman({"policy", "remove", "99"}), "software_policy.not_found");
  auto removed = relman({"policy", "remove", "1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_NE(removed.output.find("removed policy 1"), std::string::npos) << removed.output;
  EXPECT_EQ(relman({"compliance", "--exit-code"}).exit_code, 0);
  auto help = relman({"policy", "add", "--help"});
  EXPECT_NE(help.output.find("--min-version"), std::string::npos) << help.output;
}

TEST_F(CliTest, ReleaseLifecycleExecutionNotesAndHistories) {
  TestPki pki(tmp / "pki");
  ControllerProcess controller(tmp / "controller", pki);
  controller.start();
  ASSERT_EQ(log_in(controller, pki).exit_code, 0);
  ASSERT_EQ(relman({"release", "create", "--title", "Payroll 2.4"}).exit_code, 0);

  auto authorized = relman({"release", "transition", "1", "authorize"});
  ASSERT_EQ(authorized.exit_code, 0) << authorized.output;
  EXPECT_NE(authorized.output.find("REL-000001 is now authorized (version 2); next: "),
            std::string::npos)
      << authorized.output;
  EXPECT_NE(authorized.output.find("start_execution"), std::string::npos) << authorized.output;
  expect_one_error_line(relman({"release", "transition", "1", "close"}),
                        "release.illegal_transition");
  expect_one_error_line(relman({"release", "note", "1", "--description", "too early"}),
                        "release.no_open_execution");
  ASSERT_EQ(relman({"release", "transition", "1", "start_execution"}).exit_code, 0);
  auto noted =
      relman({"release", "note", "1", "--description", "web01 upgraded", "--minutes", "25"});
  ASSERT_EQ(noted.exit_code, 0) << noted.output;
  EXPECT_NE(noted.output.find("noted on execution 1 of release 1 (25 min)"), std::string::npos)
      << noted.output;
  auto unresolved = relman({"release", "transition", "1", "mark_unresolved"});
  expect_one_error_line(unresolved, "release.field_required");
  ASSERT_EQ(relman({"release", "transition", "1", "mark_unresolved", "--reason", "web02 refuses"})
                .exit_code,
            0);
  expect_one_error_line(relman({"release", "transition", "1", "delegate", "--to", "eve"}),
                        "cli.invalid_option");
  auto delegated = relman({"release", "transition", "1", "delegate", "--to", "user:admin"});
  EXPECT_EQ(delegated.exit_code, 0) << delegated.output;

  auto executions = relman({"release", "executions", "1"});
  ASSERT_EQ(executions.exit_code, 0) << executions.output;
  EXPECT_NE(executions.output.find("execution 1: started"), std::string::npos) << executions.output;
  EXPECT_NE(executions.output.find(": unresolved; 25 min"), std::string::npos) << executions.output;
  EXPECT_NE(executions.output.find("admin (25 min): web01 upgraded"), std::string::npos)
      << executions.output;
  expect_one_error_line(relman({"release", "executions", "99"}), "release.not_found");

  auto history = relman({"release", "history", "1"});
  ASSERT_EQ(history.exit_code, 0) << history.output;
  for (const char* expected :
       {"release.create", "release.authorize", "registered -> authorized", "release.execution_note",
        "release.mark_unresolved", "web02 refuses", "release.delegate"}) {
    EXPECT_NE(history.output.find(expected), std::string::npos) << expected << "\n"
                                                                << history.output;
  }

  make_package(tmp / "app.rpkg", "app", "1.0.0", {{"run", "ok\n"}}, &pki.publisher());
  ASSERT_EQ(relman({"package", "upload", p("app.rpkg")}).exit_code, 0);
  ASSERT_EQ(relman({"package", "test", "1", "--reason", "smoke tests green"}).exit_code, 0);
  auto pkg_history = relman({"package", "history", "1"});
  ASSERT_EQ(pkg_history.exit_code, 0) << pkg_history.output;
  EXPECT_NE(pkg_history.output.find("package.upload"), std::string::npos) << pkg_history.output;
  EXPECT_NE(pkg_history.output.find("uploaded -> tested; smoke tests green"), std::string::npos)
      << pkg_history.output;
  auto as_json = relman({"package", "history", "1", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  EXPECT_EQ(nlohmann::json::parse(as_json.output)["items"].size(), 2u) << as_json.output;
  expect_one_error_line(relman({"package", "history", "7"}), "package.not_found");
}

}  // namespace
}  // namespace relman::test
