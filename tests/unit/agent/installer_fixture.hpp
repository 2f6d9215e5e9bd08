// The installer unit tests' fixture: real signed packages and orders in a temp dir, a
// fetcher that copies the package file (resuming like the HTTPS client) and the progress seen.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "agent/installer/installer.hpp"
#include "packaging/package.hpp"
#include "packaging/sha256.hpp"
#include "packaging/signing.hpp"
#include "protocol/canonical_json.hpp"
#include "protocol/clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::agent {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;
using test::write_file;

inline packaging::Hooks hooks(std::string pre_install, std::string post_install,
                              std::string health_check, std::int64_t timeout_seconds = 60) {
  packaging::Hooks h;
  h.pre_install = std::move(pre_install);
  h.post_install = std::move(post_install);
  h.health_check = std::move(health_check);
  h.timeout_seconds = timeout_seconds;
  return h;
}

class InstallerTest : public ::testing::Test {
 protected:
  InstallerTest() {
    trust_.publishers.push_back({"release-team", publisher_.public_key()});
    trust_.order_keys.push_back({"controller", controller_.public_key()});
  }

  // Builds and signs a real package holding `files`; returns its path.
  fs::path make_package(const std::string& name, const std::string& version,
                        const std::map<std::string, std::string>& files,
                        packaging::Hooks hooks = {}, const std::string& payload_kind = "archive") {
    fs::path src = dir_ / ("src-" + name + "-" + version);
    for (const auto& [path, content] : files) write_file(src / path, content);
    packaging::BuildSpec spec;
    spec.manifest.name = name;
    spec.manifest.version = version;
    spec.manifest.platform = "any";
    spec.manifest.hooks = std::move(hooks);
    spec.manifest.payload_kind = payload_kind;
    spec.payload_dir = src;
    fs::path out = dir_ / (name + "-" + version + ".relpkg");
    auto built = packaging::build_package(spec, out);
    EXPECT_TRUE(built) << built.error().describe();
    auto signed_pkg = packaging::sign_package(out, publisher_);
    EXPECT_TRUE(signed_pkg) << signed_pkg.error().describe();
    return out;
  }

  // A real signed order for `package` as it is on disk now; the fetcher serves `served`.
  protocol::DeployOrderMessage make_order(const std::string& order_id, const fs::path& package,
                                          std::optional<fs::path> served = std::nullopt,
                                          bool allow_downgrade = false) {
    auto info = packaging::inspect_package(package);
    EXPECT_TRUE(info) << info.error().describe();
    protocol::DeployOrder o;
    o.order_id = order_id;
    o.deployment_id = 42;
    o.host_id = "web-01";
    o.package_name = info->manifest.name;
    o.package_version = info->manifest.version;
    o.package_sha256 = info->package_sha256;
    o.manifest_sha256 = info->manifest_sha256;
    o.package_size = static_cast<std::int64_t>(info->package_size);
    o.download_path = "/api/v1/agent/packages/" + order_id;
    o.issued_at = unix_seconds() - 5;
    o.expires_at = unix_seconds() + 3600;
    o.allow_downgrade = allow_downgrade;
    return sign_order(o, served.value_or(package));
  }

  protocol::DeployOrderMessage sign_order(const protocol::DeployOrder& o, const fs::path& served) {
    sources_[o.download_path] = served;
    protocol::DeployOrderMessage m;
    m.order = o;
    m.key_id = controller_.public_key().key_id();
    m.signature =
        packaging::sign(controller_, protocol::canonical_json(protocol::to_json(o)).value());
    return m;
  }

  // The package source: copies the file the order's path maps to, resuming after what
  // dest already holds.
  Fetcher fetcher() {
    return [this](const protocol::DeployOrder& order, const fs::path& dest,
                  const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                  const std::function<void(std::uint64_t, std::string_view)>& on_data)
               -> Result<std::uint64_t> {
      ++fetches_;
      auto it = sources_.find(order.download_path);
      if (it == sources_.end()) return fail("http.status_404", "no such package");
      std::ifstream in(it->second, std::ios::binary);
      std::uint64_t total = fs::file_size(it->second);
      std::uint64_t done = fs::exists(dest) ? fs::file_size(dest) : 0;
      in.seekg(static_cast<std::streamoff>(done));
      std::ofstream out(dest, std::ios::binary | std::ios::app);
      char buf[4096];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        out.write(buf, in.gcount());
        on_data(done, std::string_view(buf, static_cast<std::size_t>(in.gcount())));
        done += static_cast<std::uint64_t>(in.gcount());
        progress(done, total);
      }
      out.close();
      if (!out) return fail("io.write_failed", "cannot write", dest.string());
      return done;
    };
  }

  InstallerConfig config() {
    InstallerConfig c;
    c.agent_id = "web-01";
    c.install_root = dir_ / "opt";
    c.state_dir = dir_ / "state";
    c.trust = trust_;
    c.download_retry_delay = std::chrono::milliseconds(10);
    if (configure_) configure_(c);
    return c;
  }

  std::unique_ptr<Installer> open_installer() {
    auto installer = std::make_unique<Installer>(config(), fetcher());
    auto opened = installer->open();
    EXPECT_TRUE(opened) << opened.error().describe();
    return installer;
  }

  protocol::DeployResult run(Installer& installer, const protocol::DeployOrderMessage& m) {
    phases_.clear();
    reports_.clear();
    return installer.run(m, [this](const protocol::DeployProgress& p) {
      reports_.push_back(p);
      if (phases_.empty() || phases_.back() != p.phase) phases_.push_back(p.phase);
    });
  }

  std::string current() const {
    std::error_code ec;
    auto target = fs::read_symlink(dir_ / "opt/app/current", ec);
    return ec ? std::string("<none>") : target.string();
  }

  // Installs app 1.0.0 with `health` as its health check; expects success.
  std::unique_ptr<Installer> installed_v1() {
    auto installer = open_installer();
    auto v1 = make_package("app", "1.0.0", {{"bin/app", "version one\n"}});
    auto r = run(*installer, make_order("o-v1", v1));
    EXPECT_EQ(r.status, "succeeded") << r.code << ": " << r.message;
    return installer;
  }

  TempDir dir_{"relman-installer"};
  packaging::PrivateKey publisher_ = packaging::generate_signing_key();
  packaging::PrivateKey controller_ = packaging::generate_signing_key();
  packaging::TrustStore trust_;
  std::map<std::string, fs::path> sources_;
  std::vector<std::string> phases_;
  std::vector<protocol::DeployProgress> reports_;
  int fetches_ = 0;
  std::function<void(InstallerConfig&)> configure_;  // per test, before open_installer()
};

}  // namespace relman::agent
