// relman pkg keygen|build|sign|verify|inspect and relman trust init: the offline packaging
// commands. They work on files only; nothing here talks to the controller.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "packaging/package.hpp"
#include "packaging/signing.hpp"
#include "packaging/trust.hpp"

namespace relman::cli {
namespace {

namespace fs = std::filesystem;
namespace pkg = relman::packaging;

struct KeygenOptions {
  std::string out;
};

struct BuildOptions {
  std::string name, version, payload, out;
  std::string platform = "any";
  std::string description, pre_install, post_install, health_check;
  std::int64_t hook_timeout = 60;
};

struct SignOptions {
  std::string package, key;
};

struct VerifyOptions {
  std::string package, trust;
};

struct InspectOptions {
  std::string package;
  bool json = false;
};

struct TrustInitOptions {
  std::vector<std::string> publishers;
  std::vector<std::string> order_keys;
  int threshold = 1;
  std::string out;
  bool force = false;
};

// Runs a command body; any error value or stray exception becomes the one-line report.
template <class F>
void run(CommandStatus& status, F body) {
  try {
    Result<void> r = body();
    if (!r) report_error(status, r.error());
  } catch (const std::exception& e) {
    report_error(status, Error{"cli.internal", e.what(), {}});
  }
}

std::string octal(std::uint32_t mode) {
  std::ostringstream s;
  s << std::oct << std::setw(4) << std::setfill('0') << mode;
  return s.str();
}

// "NAME=PUBFILE" -> a trusted key read from PUBFILE.
Result<pkg::TrustedKey> read_named_key(const std::string& spec, const std::string& option) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    return fail("cli.invalid_argument", option + " must be NAME=PUBFILE", spec);
  }
  auto key = pkg::load_public_key(spec.substr(eq + 1));
  if (!key) return fail(key.error());
  return pkg::TrustedKey{spec.substr(0, eq), std::move(*key)};
}

Result<void> keygen(const KeygenOptions& o) {
  const fs::path key_file = o.out + ".key";
  const fs::path pub_file = o.out + ".pub";
  std::error_code ec;
  if (fs::exists(fs::symlink_status(pub_file, ec))) {
    return fail("key.exists", "file exists; refusing to overwrite it", pub_file.string());
  }
  auto key = pkg::generate_signing_key();
  if (!key.valid()) return fail("key.generate_failed", "cannot generate an Ed25519 key");
  if (auto r = pkg::save_private_key(key, key_file); !r) return r;
  if (auto r = pkg::save_public_key(key.public_key(), pub_file); !r) {
    fs::remove(key_file, ec);  // keep the pair together: no private key without its public one
    return r;
  }
  std::cout << "private key: " << key_file.string() << " (mode 0600)\n"
            << "public key:  " << pub_file.string() << "\n"
            << "key id:      " << key.public_key().key_id() << "\n";
  return ok();
}

Result<void> build(const BuildOptions& o) {
  pkg::BuildSpec spec;
  spec.manifest.name = o.name;
  spec.manifest.version = o.version;
  spec.manifest.platform = o.platform;
  spec.manifest.description = o.description;
  spec.manifest.hooks.pre_install = o.pre_install;
  spec.manifest.hooks.post_install = o.post_install;
  spec.manifest.hooks.health_check = o.health_check;
  spec.manifest.hooks.timeout_seconds = o.hook_timeout;
  spec.payload_dir = o.payload;
  auto info = pkg::build_package(spec, o.out);
  if (!info) return fail(info.error());
  std::cout << "built:           " << o.out << "\n"
            << "name:            " << info->manifest.name << "\n"
            << "version:         " << info->manifest.version << "\n"
            << "manifest sha256: " << info->manifest_sha256 << "\n"
            << "files:           " << info->manifest.files.size() << "\n"
            << "links:           " << info->manifest.links.size() << "\n"
            << "package sha256:  " << info->package_sha256 << "\n";
  return ok();
}

Result<void> sign(const SignOptions& o) {
  auto key = pkg::load_private_key(o.key);
  if (!key) return fail(key.error());
  auto info = pkg::sign_package(o.package, *key);
  if (!info) return fail(info.error());
  std::cout << "signed by key:  " << key->public_key().key_id() << "\n"
            << "signatures:     " << info->signatures.size() << "\n"
            << "package sha256: " << info->package_sha256 << "\n";
  return ok();
}

Result<void> verify(const VerifyOptions& o) {
  auto trust = pkg::load_trust_store(o.trust);
  if (!trust) return fail(trust.error());
  auto info = pkg::verify_package(o.package, *trust);
  if (!info) return fail(info.error());
  std::size_t trusted = 0;
  for (const auto& s : info->signatures) {
    if (trust->find_publisher(s.key_id)) ++trusted;
  }
  std::cout << "verified: " << info->manifest.name << " " << info->manifest.version << " ("
            << trusted << " trusted signature" << (trusted == 1 ? "" : "s") << ")\n";
  return ok();
}

Result<void> inspect(const InspectOptions& o) {
  auto info = pkg::inspect_package(o.package);
  if (!info) return fail(info.error());
  const auto& m = info->manifest;
  if (o.json) {
    nlohmann::json sigs = nlohmann::json::array();
    for (const auto& s : info->signatures) sigs.push_back({{"key_id", s.key_id}});
    nlohmann::json out = {{"manifest", pkg::to_json(m)},
                          {"manifest_sha256", info->manifest_sha256},
                          {"signatures", sigs},
                          {"package_sha256", info->package_sha256},
                          {"package_size", info->package_size}};
    std::cout << out.dump(2) << "\n";
    return ok();
  }
  std::cout << "name:            " << m.name << "\n"
            << "version:         " << m.version << "\n"
            << "platform:        " << m.platform << "\n"
            << "payload kind:    " << m.payload_kind << "\n";
  if (!m.description.empty()) std::cout << "description:     " << m.description << "\n";
  if (!m.hooks.pre_install.empty()) std::cout << "pre-install:     " << m.hooks.pre_install << "\n";
  if (!m.hooks.post_install.empty()) {
    std::cout << "post-install:    " << m.hooks.post_install << "\n";
  }
  if (!m.hooks.health_check.empty()) {
    std::cout << "health check:    " << m.hooks.health_check << "\n";
  }
  std::cout << "hook timeout:    " << m.hooks.timeout_seconds << " s\n"
            << "manifest sha256: " << info->manifest_sha256 << "\n"
            << "package sha256:  " << info->package_sha256 << "\n"
            << "package size:    " << info->package_size << " bytes\n"
            << "files (" << m.files.size() << "):\n";
  for (const auto& f : m.files) {
    std::cout << "  " << octal(f.mode) << " " << std::setw(12) << f.size << " " << f.sha256 << " "
              << f.path << "\n";
  }
  std::cout << "links (" << m.links.size() << "):\n";
  for (const auto& l : m.links) std::cout << "  " << l.path << " -> " << l.target << "\n";
  std::cout << "signatures (" << info->signatures.size() << "):\n";
  for (const auto& s : info->signatures) std::cout << "  key " << s.key_id << "\n";
  return ok();
}

Result<void> trust_init(const TrustInitOptions& o) {
  std::error_code ec;
  if (!o.force && fs::exists(fs::symlink_status(o.out, ec))) {
    return fail("trust.exists", "file exists; use --force to replace it", o.out);
  }
  pkg::TrustStore t;
  t.threshold = o.threshold;
  for (const auto& spec : o.publishers) {
    auto k = read_named_key(spec, "--publisher");
    if (!k) return fail(k.error());
    t.publishers.push_back(std::move(*k));
  }
  for (const auto& spec : o.order_keys) {
    auto k = read_named_key(spec, "--order-key");
    if (!k) return fail(k.error());
    t.order_keys.push_back(std::move(*k));
  }
  if (auto r = pkg::save_trust_store(t, o.out); !r) return r;
  std::cout << "wrote " << o.out << ": " << t.publishers.size() << " publisher key(s), threshold "
            << t.threshold << ", " << t.order_keys.size() << " order key(s)\n";
  for (const auto& k : t.publishers) {
    std::cout << "  publisher " << k.name << " " << k.key.key_id() << "\n";
  }
  for (const auto& k : t.order_keys) {
    std::cout << "  order key " << k.name << " " << k.key.key_id() << "\n";
  }
  return ok();
}

}  // namespace

void add_pkg_commands(CLI::App& app, CommandStatus& status) {
  auto* pkg_cmd = app.add_subcommand("pkg", "Packages: create keys, build, sign, verify, inspect");
  pkg_cmd->require_subcommand(1);

  auto keygen_opts = std::make_shared<KeygenOptions>();
  auto* keygen_cmd = pkg_cmd->add_subcommand("keygen", "Create an Ed25519 signing key pair");
  keygen_cmd->add_option("--out", keygen_opts->out, "Writes PREFIX.key (0600) and PREFIX.pub")
      ->required();
  keygen_cmd->callback(
      [&status, keygen_opts] { run(status, [&] { return keygen(*keygen_opts); }); });

  auto build_opts = std::make_shared<BuildOptions>();
  auto* build_cmd = pkg_cmd->add_subcommand("build", "Build an unsigned package from a directory");
  build_cmd->add_option("--name", build_opts->name, "Package name")->required();
  build_cmd->add_option("--version", build_opts->version, "Semantic version")->required();
  build_cmd->add_option("--payload", build_opts->payload, "Payload directory")->required();
  build_cmd->add_option("--out", build_opts->out, "Package file to write")->required();
  build_cmd->add_option("--platform", build_opts->platform, "Target platform")
      ->capture_default_str();
  build_cmd->add_option("--description", build_opts->description, "Description");
  build_cmd->add_option("--pre-install", build_opts->pre_install, "Command run before switching");
  build_cmd->add_option("--post-install", build_opts->post_install, "Command run after switching");
  build_cmd->add_option("--health-check", build_opts->health_check, "Command that checks health");
  build_cmd->add_option("--hook-timeout", build_opts->hook_timeout, "Seconds per hook command")
      ->capture_default_str();
  build_cmd->callback([&status, build_opts] { run(status, [&] { return build(*build_opts); }); });

  auto sign_opts = std::make_shared<SignOptions>();
  auto* sign_cmd = pkg_cmd->add_subcommand("sign", "Add a publisher signature to a package");
  sign_cmd->add_option("package", sign_opts->package, "Package file")->required();
  sign_cmd->add_option("--key", sign_opts->key, "Private key file (PEM)")->required();
  sign_cmd->callback([&status, sign_opts] { run(status, [&] { return sign(*sign_opts); }); });

  auto verify_opts = std::make_shared<VerifyOptions>();
  auto* verify_cmd = pkg_cmd->add_subcommand("verify", "Check signatures and every payload byte");
  verify_cmd->add_option("package", verify_opts->package, "Package file")->required();
  verify_cmd->add_option("--trust", verify_opts->trust, "trust.json")->required();
  verify_cmd->callback(
      [&status, verify_opts] { run(status, [&] { return verify(*verify_opts); }); });

  auto inspect_opts = std::make_shared<InspectOptions>();
  auto* inspect_cmd =
      pkg_cmd->add_subcommand("inspect", "Show a package's manifest and signatures");
  inspect_cmd->add_option("package", inspect_opts->package, "Package file")->required();
  inspect_cmd->add_flag("--json", inspect_opts->json, "Print JSON");
  inspect_cmd->callback(
      [&status, inspect_opts] { run(status, [&] { return inspect(*inspect_opts); }); });

  auto* trust_cmd = app.add_subcommand("trust", "The trust store (trust.json)");
  trust_cmd->require_subcommand(1);
  auto trust_opts = std::make_shared<TrustInitOptions>();
  auto* init_cmd = trust_cmd->add_subcommand("init", "Write a new trust.json");
  init_cmd->add_option("--publisher", trust_opts->publishers, "NAME=PUBFILE (repeatable)")
      ->required()
      ->take_all();
  init_cmd->add_option("--order-key", trust_opts->order_keys, "NAME=PUBFILE (repeatable)")
      ->take_all();
  init_cmd->add_option("--threshold", trust_opts->threshold, "Publisher signatures required")
      ->capture_default_str();
  init_cmd->add_option("--out", trust_opts->out, "File to write")->required();
  init_cmd->add_flag("--force", trust_opts->force, "Replace an existing file");
  init_cmd->callback(
      [&status, trust_opts] { run(status, [&] { return trust_init(*trust_opts); }); });
}

}  // namespace relman::cli
