#include "agent/installer/install_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/installer/install_tree.hpp"
#include "packaging/atomic_file.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::agent {
namespace fs = std::filesystem;
using protocol::DeployResult;
using protocol::JsonReader;

namespace {

constexpr int kStateSchema = 2;
constexpr std::size_t kMaxPathText = 4096;
constexpr std::size_t kMaxHookText = 4096;
constexpr std::size_t kMaxHistory = 1000;

constexpr std::string_view kPhases[] = {
    journal_phase::kExtracting,  journal_phase::kPreInstall,  journal_phase::kDpkgInstall,
    journal_phase::kSwitching,   journal_phase::kPostInstall, journal_phase::kHealthCheck,
    journal_phase::kRollingBack,
};

Result<std::string> read_file_bounded(const fs::path& file, std::size_t max) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("state.read_failed", std::strerror(errno), file.string());
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return fail("state.read_failed", std::strerror(err), file.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max) {
      ::close(fd);
      return fail("state.invalid", "state file is larger than " + std::to_string(max) + " bytes",
                  file.string());
    }
  }
  ::close(fd);
  return out;
}

nlohmann::json result_to_json(const DeployResult& r) {
  nlohmann::json j = {{"order_id", r.order_id}, {"deployment_id", r.deployment_id},
                      {"status", r.status},     {"code", r.code},
                      {"message", r.message},   {"installed_version", r.installed_version},
                      {"phase", r.phase},       {"output", r.output}};
  return j;
}

Result<DeployResult> result_from_json(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where);
  DeployResult out;
  out.order_id = r.string("order_id");
  out.deployment_id = r.integer("deployment_id", 0, INT64_MAX);
  out.status = r.string("status");
  out.code = r.string("code", protocol::kMaxIdLength, true);
  out.message = r.string("message", protocol::kMaxTextLength, true);
  out.installed_version = r.string("installed_version", protocol::kMaxIdLength, true);
  out.phase = r.optional_string("phase").value_or("");
  out.output = r.optional_string("output", protocol::kMaxHookOutputBytes).value_or("");
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return out;
}

nlohmann::json kept_to_json(const KeptVersion& k) {
  return {{"payload_kind", k.payload_kind}, {"deb_file", k.deb_file},
          {"deb_package", k.deb_package},   {"post_install", k.post_install},
          {"health_check", k.health_check}, {"hook_timeout_seconds", k.hook_timeout_seconds}};
}

Result<KeptVersion> kept_from_json(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where);
  KeptVersion k;
  k.payload_kind = r.string("payload_kind", 32);
  k.deb_file = r.string("deb_file", kMaxPathText, true);
  k.deb_package = r.string("deb_package", protocol::kMaxIdLength, true);
  k.post_install = r.string("post_install", kMaxHookText, true);
  k.health_check = r.string("health_check", kMaxHookText, true);
  k.hook_timeout_seconds = r.integer("hook_timeout_seconds", 1, 3600);
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  if (k.payload_kind != "archive" && k.payload_kind != "deb") {
    return fail("state.invalid", "unknown payload kind '" + k.payload_kind + "'", where);
  }
  if (k.payload_kind == "deb" && (k.deb_file.empty() || k.deb_file.front() == '/' ||
                                  k.deb_file.find("..") != std::string::npos)) {
    return fail("state.invalid", "a deb version needs a relative .deb path", where);
  }
  return k;
}

Result<Journal> journal_from_json(const nlohmann::json& j) {
  JsonReader r(j, "journal");
  Journal out;
  out.order_id = r.string("order_id");
  out.deployment_id = r.integer("deployment_id", 0, INT64_MAX);
  out.action = r.optional_string("action", 16).value_or(std::string(protocol::kOrderInstall));
  out.package = r.string("package");
  out.version = r.string("version");
  out.previous = r.string("previous", protocol::kMaxIdLength, true);
  out.aside = r.string("aside", kMaxPathText, true);
  // Schema 1 journals were written from extraction to the result, and always rolled back.
  out.phase = r.optional_string("phase", 32).value_or(std::string(journal_phase::kSwitching));
  if (const auto* incoming = r.optional_object("incoming")) {
    auto k = kept_from_json(*incoming, "journal.incoming");
    if (!k) return fail(k.error());
    out.incoming = std::move(*k);
  }
  out.child_pgid = static_cast<pid_t>(r.optional_integer("child_pgid", 0, INT32_MAX).value_or(0));
  out.child_start_time =
      static_cast<std::uint64_t>(r.optional_integer("child_start_time", 0, INT64_MAX).value_or(0));
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  if (std::find(std::begin(kPhases), std::end(kPhases), out.phase) == std::end(kPhases)) {
    return fail("state.invalid", "unknown journal phase '" + out.phase + "'", "journal.phase");
  }
  if (out.action != protocol::kOrderInstall && out.action != protocol::kOrderRollback) {
    return fail("state.invalid", "unknown journal action '" + out.action + "'", "journal.action");
  }
  // These become path components in recovery.
  if (!is_path_component(out.package) || !is_path_component(out.version) ||
      (!out.previous.empty() && !is_path_component(out.previous))) {
    return fail("state.invalid", "names a package or version that is not valid", "journal");
  }
  return out;
}

nlohmann::json journal_to_json(const Journal& j) {
  return {{"order_id", j.order_id},
          {"deployment_id", j.deployment_id},
          {"action", j.action},
          {"package", j.package},
          {"version", j.version},
          {"previous", j.previous},
          {"aside", j.aside},
          {"phase", j.phase},
          {"incoming", kept_to_json(j.incoming)},
          {"child_pgid", j.child_pgid},
          {"child_start_time", j.child_start_time}};
}

Result<void> read_packages(const nlohmann::json& packages, InstallState& out) {
  for (const auto& [name, p] : packages.items()) {
    std::string where = "packages." + name;
    if (!is_path_component(name)) return fail("state.invalid", "not a package name", where);
    JsonReader r(p, where);
    const auto* history = r.array("history", kMaxHistory);
    const auto* kept = r.object("kept");
    if (auto done = r.finish_tolerant(); !done) return fail(done.error());
    PackageState ps;
    for (const auto& v : *history) {
      if (!v.is_string() || !is_path_component(v.get<std::string>())) {
        return fail("state.invalid", "history holds something that is not a version", where);
      }
      ps.history.push_back(v.get<std::string>());
    }
    for (const auto& [version, k] : kept->items()) {
      if (!is_path_component(version)) return fail("state.invalid", "not a version", where);
      auto one = kept_from_json(k, where + ".kept." + version);
      if (!one) return fail(one.error());
      ps.kept[version] = std::move(*one);
    }
    out.packages[name] = std::move(ps);
  }
  return ok();
}

}  // namespace

bool journal_phase_changed_host(std::string_view phase) {
  return phase != journal_phase::kExtracting && phase != journal_phase::kPreInstall;
}

bool is_path_component(std::string_view c) {
  return !c.empty() && c.size() <= protocol::kMaxIdLength && c != "." && c != ".." &&
         c.find('/') == std::string_view::npos && c.find('\0') == std::string_view::npos;
}

Result<InstallState> load_install_state(const fs::path& file) {
  InstallState loaded;
  std::error_code ec;
  bool exists = fs::exists(file, ec);
  if (ec) return fail("state.read_failed", ec.message(), file.string());
  if (!exists) return loaded;
  auto text = read_file_bounded(file, kMaxStateFileBytes);
  if (!text) return fail(text.error());
  auto invalid = [&](const Error& e) {
    return fail("state.invalid", "state file is corrupt: " + e.message + " (" + e.context + ")",
                file.string());
  };
  auto doc = protocol::parse_json_object(*text, kMaxStateFileBytes, "state.json");
  if (!doc) return invalid(doc.error());
  JsonReader r(*doc);
  auto schema = r.integer("schema", 1, kStateSchema);
  const auto* installed = r.object("installed");
  const auto* results = r.array("results", kMaxRecordedResults);
  const auto* packages = r.optional_object("packages");
  const auto* interrupted = r.optional_object("interrupted");
  const auto* journal = r.optional_object("journal");
  if (auto done = r.finish_tolerant(); !done) return invalid(done.error());
  for (const auto& [name, version] : installed->items()) {
    if (!version.is_string()) {
      return invalid(Error{"protocol.wrong_type", "must be a string", "installed." + name});
    }
    if (!is_path_component(name) || !is_path_component(version.get<std::string>())) {
      return invalid(Error{"state.invalid", "not a package name or version", "installed." + name});
    }
    loaded.installed[name] = version.get<std::string>();
  }
  for (std::size_t i = 0; i < results->size(); ++i) {
    auto one = result_from_json((*results)[i], "results[" + std::to_string(i) + "]");
    if (!one) return invalid(one.error());
    loaded.results.push_back(std::move(*one));
  }
  if (packages) {
    if (auto p = read_packages(*packages, loaded); !p) return invalid(p.error());
  }
  if (interrupted) {
    for (const auto& [order, n] : interrupted->items()) {
      if (!n.is_number_integer() || n.get<std::int64_t>() < 0) {
        return invalid(Error{"protocol.wrong_type", "must be a count", "interrupted." + order});
      }
      loaded.interrupted[order] = n.get<std::int64_t>();
    }
  }
  // Schema 1 knew only the current version of each package.
  if (schema == 1) {
    for (const auto& [name, version] : loaded.installed) {
      loaded.packages[name].history = {version};
      loaded.packages[name].kept[version] = KeptVersion{};
    }
  }
  if (journal) {
    auto j = journal_from_json(*journal);
    if (!j) return invalid(j.error());
    loaded.journal = std::move(*j);
  }
  return loaded;
}

Result<void> save_install_state(const fs::path& file, const InstallState& state) {
  nlohmann::json installed = nlohmann::json::object();
  for (const auto& [name, version] : state.installed) installed[name] = version;
  nlohmann::json packages = nlohmann::json::object();
  for (const auto& [name, p] : state.packages) {
    nlohmann::json kept = nlohmann::json::object();
    for (const auto& [version, k] : p.kept) kept[version] = kept_to_json(k);
    packages[name] = {{"history", p.history}, {"kept", kept}};
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : state.results) results.push_back(result_to_json(r));
  nlohmann::json interrupted = nlohmann::json::object();
  for (const auto& [order, n] : state.interrupted) interrupted[order] = n;
  nlohmann::json doc = {{"schema", kStateSchema},
                        {"installed", installed},
                        {"packages", packages},
                        {"results", results},
                        {"interrupted", interrupted}};
  if (state.journal) doc["journal"] = journal_to_json(*state.journal);
  auto text = doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (auto w = packaging::write_file_atomically(file, text, 0600, "state.write_failed"); !w) {
    return w;
  }
  // The rename must reach the disk too: a journal that vanishes after a power loss is no
  // journal.
  return fsync_directory(file.parent_path(), "state.write_failed");
}

}  // namespace relman::agent
