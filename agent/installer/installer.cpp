#include "agent/installer/installer.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "agent/installer/install_tree.hpp"
#include "agent/installer/order_check.hpp"
#include "packaging/package.hpp"
#include "packaging/sha256.hpp"
#include "protocol/clock.hpp"

namespace relman::agent {
namespace fs = std::filesystem;
using protocol::DeployOrder;
using protocol::DeployResult;

namespace {

// SHA-256 of a download while it streams, across a resume: the bytes already on disk first,
// then each chunk at its offset. A restart (offset 0 again) starts over; a gap makes it
// give up, and the caller hashes the file instead.
class StreamHash {
 public:
  Result<void> add_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail("package.read_failed", "cannot read the partial download", file);
    std::vector<char> block(1 << 20);
    while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
      add(hashed_, std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
    }
    return ok();
  }
  void add(std::uint64_t offset, std::string_view bytes) {
    if (offset == 0 && hashed_ != 0) {
      hash_ = packaging::Sha256();
      hashed_ = 0;
      broken_ = false;
    }
    if (broken_ || offset != hashed_) {
      broken_ = true;
      return;
    }
    hash_.update(bytes);
    hashed_ += bytes.size();
  }
  bool covers(std::uint64_t size) const { return !broken_ && hashed_ == size; }
  std::string digest() { return hash_.hex_digest(); }

 private:
  packaging::Sha256 hash_;
  std::uint64_t hashed_ = 0;
  bool broken_ = false;
};

// Download progress goes out at most once a second per order; phase changes always do.
constexpr auto kProgressInterval = std::chrono::seconds(1);
constexpr const char* kHookPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A broken or refused connection is worth another try (resuming); anything else is not.
bool retryable_fetch_error(const std::string& code) {
  return code == "http.interrupted" || code == "http.timeout" || code == "http.connect_failed" ||
         code == "http.protocol" || code.starts_with("http.status_5");
}

std::uint64_t file_size_or_zero(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

}  // namespace

// One install order in flight, from fetch to result.
struct Installer::Attempt {
  const DeployOrder& order;
  const ProgressSink& progress;
  fs::path package_file;
  std::string installed_before;    // recorded installed version, "" if none
  std::int64_t interruptions = 0;  // earlier tries cut short by an agent restart
};

Installer::Installer(InstallerConfig config, Fetcher fetcher)
    : config_(std::move(config)), fetcher_(std::move(fetcher)) {
  if (!config_.platform) config_.platform = detect_host_platform();
  if (!config_.disk_probe) config_.disk_probe = probe_filesystem;
}

std::int64_t Installer::now() const {
  if (config_.clock) return config_.clock();
  return unix_seconds();
}

void Installer::step(std::string_view name) const {
  if (config_.step_observer) config_.step_observer(name);
}

Result<void> Installer::open() {
  std::error_code ec;
  fs::create_directories(config_.state_dir / "downloads", ec);
  if (ec) return fail("state.write_failed", ec.message(), config_.state_dir.string());
  RELMAN_TRY(loaded, load_install_state(config_.state_dir / "state.json"));
  std::optional<Journal> journal = loaded.journal;
  {
    std::lock_guard lock(mutex_);
    state_ = std::move(loaded);
  }
  if (journal) RELMAN_CHECK(recover(*journal));
  remove_leftovers(config_.install_root);
  return ok();
}

Result<void> Installer::save_locked() const {
  return save_install_state(config_.state_dir / "state.json", state_);
}

Result<void> Installer::update_state(const std::function<void(InstallState&)>& change) {
  std::lock_guard lock(mutex_);
  InstallState before = state_;
  change(state_);
  while (state_.results.size() > kMaxRecordedResults) state_.results.pop_front();
  auto saved = save_locked();
  if (!saved) state_ = std::move(before);
  return saved;
}

std::optional<std::string> Installer::installed_version(const std::string& package) const {
  std::lock_guard lock(mutex_);
  auto it = state_.installed.find(package);
  if (it == state_.installed.end()) return std::nullopt;
  return it->second;
}

std::string Installer::current_version(const std::string& package) const {
  return installed_version(package).value_or("");
}

std::map<std::string, std::string> Installer::installed_packages() const {
  std::lock_guard lock(mutex_);
  return state_.installed;
}

bool Installer::already_executed(const std::string& order_id) const {
  return recorded_result(order_id).has_value();
}

std::optional<DeployResult> Installer::recorded_result(const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  for (auto it = state_.results.rbegin(); it != state_.results.rend(); ++it) {
    if (it->order_id == order_id) return *it;
  }
  return std::nullopt;
}

DeployResult Installer::run(const protocol::DeployOrderMessage& msg, const ProgressSink& progress) {
  std::string what;
  try {
    std::lock_guard run_lock(run_mutex_);
    if (auto recorded = recorded_result(msg.order.order_id)) return *recorded;
    return run_checked(msg, progress);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  // A journal left behind means the host may be half-way: put it right now, not at the next
  // start (the next order would overwrite the journal).
  std::optional<Journal> journal;
  {
    std::lock_guard lock(mutex_);
    journal = state_.journal;
  }
  try {
    if (journal) (void)recover(*journal);
  } catch (...) {
  }
  if (auto recorded = recorded_result(msg.order.order_id)) return *recorded;
  return make_result(msg.order, "failed", "agent.internal_error",
                     "unexpected error while running the order: " + what,
                     current_version(msg.order.package_name), "failed");
}

DeployResult Installer::run_checked(const protocol::DeployOrderMessage& msg,
                                    const ProgressSink& progress) {
  const DeployOrder& order = msg.order;
  auto installed = installed_version(order.package_name);
  // The action is covered by the signature: a rollback is as authorized as an install.
  if (auto checked = check_order(msg, config_.trust, config_.agent_id, now(), installed);
      !checked) {
    return failed_result(order, checked.error(), installed.value_or(""));
  }
  if (order.action == protocol::kOrderRollback) return roll_back_order(order, progress);
  return fetch_and_install(order, progress);
}

DeployResult Installer::fetch_and_install(const DeployOrder& order, const ProgressSink& progress) {
  const std::string before = current_version(order.package_name);
  std::int64_t interruptions = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto it = state_.interrupted.find(order.order_id); it != state_.interrupted.end()) {
      interruptions = it->second;
    }
  }
  if (interruptions >= kMaxInterruptedInstalls) {
    auto result = make_result(
        order, "failed", "install.interrupted",
        "the install of " + order.package_name + " " + order.package_version + " was cut short " +
            std::to_string(interruptions) +
            " times by an agent restart before it changed the host; not trying again. The "
            "host stays on " +
            (before.empty() ? "no version" : before),
        before, "failed");
    (void)update_state([&](InstallState& s) {
      s.results.push_back(result);
      s.interrupted.erase(order.order_id);
    });
    return result;
  }
  emit_progress(progress, order, "queued", 0, static_cast<std::uint64_t>(order.package_size));

  // Until the bytes are verified against the order nothing has changed on the host and
  // nothing is recorded, so a re-sent order retries (and a partial download resumes).
  const auto size_wanted = static_cast<std::uint64_t>(order.package_size);
  fs::path downloads = config_.state_dir / "downloads";
  fs::path part = downloads / (order.package_sha256 + ".part");
  std::error_code ec;
  fs::create_directories(downloads, ec);
  if (!ec) fs::create_directories(config_.install_root, ec);
  if (ec) return failed_result(order, Error{"state.write_failed", ec.message(), ""}, before);
  if (file_size_or_zero(part) > size_wanted) fs::remove(part, ec);
  std::uint64_t have = file_size_or_zero(part);

  // Both the download and the extracted payload must fit, with room to spare.
  std::vector<DiskNeed> needs = {{downloads, size_wanted - have, "the download"},
                                 {config_.install_root, size_wanted, "the installed files"}};
  if (auto space = check_disk_space(needs, config_.min_free_bytes, config_.disk_probe); !space) {
    return failed_result(order, space.error(), before);
  }

  if (!fetcher_) {
    return failed_result(
        order, Error{"agent.no_fetcher", "the installer has no package source", ""}, before);
  }
  auto last = std::chrono::steady_clock::time_point{};
  bool first = true;
  auto on_bytes = [&](std::uint64_t done, std::uint64_t total) {
    auto t = std::chrono::steady_clock::now();
    if (!first && t - last < kProgressInterval) return;
    first = false;
    last = t;
    emit_progress(progress, order, "downloading", done, total);
  };
  // Hash while the bytes stream: first what an interrupted download left, then each chunk.
  StreamHash streamed;
  if (have > 0) {
    if (auto r = streamed.add_file(part); !r) return failed_result(order, r.error(), before);
  }
  auto on_data = [&](std::uint64_t offset, std::string_view b) { streamed.add(offset, b); };
  const int attempts = std::max(1, config_.download_attempts);
  for (int attempt = 1;; ++attempt) {
    // Complete already (an earlier try stopped after the download): no request at all.
    if (size_wanted > 0 && file_size_or_zero(part) == size_wanted) break;
    auto fetched = fetcher_(order, part, on_bytes, on_data);
    if (fetched) break;
    if (!retryable_fetch_error(fetched.error().code) || attempt >= attempts) {
      return failed_result(order, fetched.error(), before);
    }
    auto delay = config_.download_retry_delay * (1 << std::min(attempt - 1, 6));
    spdlog::warn("order {}: download stopped at {} of {} bytes ({}); resuming in {} ms ({}/{})",
                 order.order_id, file_size_or_zero(part), size_wanted, fetched.error().describe(),
                 delay.count(), attempt + 1, attempts);
    std::this_thread::sleep_for(delay);
  }

  auto size = fs::file_size(part, ec);
  if (ec) {
    return failed_result(order, Error{"package.read_failed", ec.message(), part.string()}, before);
  }
  if (size > size_wanted) {
    fs::remove(part, ec);
    return failed_result(order,
                         Error{"package.too_large",
                               "the downloaded package has " + std::to_string(size) +
                                   " bytes, more than the order's " + std::to_string(size_wanted),
                               order.download_path},
                         before);
  }
  emit_progress(progress, order, "verifying", size, size_wanted);
  // The streamed hash covers the file unless a fetcher skipped bytes; then read it once more.
  auto hash =
      streamed.covers(size) ? Result<std::string>(streamed.digest()) : packaging::sha256_file(part);
  if (!hash) return failed_result(order, hash.error(), before);
  if (*hash != order.package_sha256) {
    fs::remove(part, ec);
    return failed_result(order,
                         Error{"package.hash_mismatch",
                               "the downloaded package's SHA-256 is " + *hash +
                                   ", the order says " + order.package_sha256,
                               order.download_path},
                         before);
  }

  Attempt attempt{order, progress, part, before, interruptions};
  DeployResult result = install(attempt);
  fs::remove(part, ec);
  return result;
}

std::string Installer::run_journaled(std::string_view name, ChildCommand command,
                                     HookTranscript& out) {
  // The child's process group goes into the journal first: if the agent dies while it runs,
  // the restarted agent ends it before undoing anything under its feet.
  command.on_started = [this](pid_t pid) {
    auto started = process_start_time(pid).value_or(0);
    (void)update_state([&](InstallState& s) {
      if (!s.journal) return;
      s.journal->child_pgid = pid;
      s.journal->child_start_time = started;
    });
  };
  ChildRun run = run_child(command);
  out.add(name, run.ok ? "ok" : run.failure, run.tail);
  return run.ok ? std::string() : run.failure;
}

std::string Installer::run_hook_for(std::string_view hook, const std::string& command,
                                    const std::string& package, const std::string& version,
                                    const std::string& previous, std::int64_t timeout_seconds,
                                    HookTranscript& out) {
  if (command.empty()) return {};
  fs::path dir = config_.install_root / package / version;
  ChildCommand child;
  child.argv = {"/bin/sh", "-c", command};
  child.cwd = dir;
  child.env = {kHookPath, "RELMAN_PACKAGE=" + package, "RELMAN_VERSION=" + version,
               "RELMAN_PREVIOUS_VERSION=" + previous, "RELMAN_INSTALL_DIR=" + dir.string()};
  child.timeout = std::chrono::seconds(std::clamp<std::int64_t>(timeout_seconds, 1, 3600));
  child.log_file = config_.state_dir / ("hook-" + std::string(hook) + ".log");
  std::string why = run_journaled(hook, std::move(child), out);
  if (why.empty()) return {};
  return std::string(hook) + " hook `" + clip_utf8(command, 200) + "` " + why + " (" + package +
         " " + version + ")";
}

DeployResult Installer::install(Attempt& a) {
  const DeployOrder& order = a.order;
  const std::string& before = a.installed_before;
  HookTranscript out;
  // From here every outcome is recorded with the order: the bytes are the ones it names, so
  // running it again could only repeat this outcome (or install twice).
  auto record = [&](DeployResult result) {
    auto saved = update_state([&](InstallState& s) {
      s.journal.reset();
      s.results.push_back(result);
      s.interrupted.erase(order.order_id);
    });
    (void)saved;  // the result still goes to the controller; state.json keeps the journal
    return result;
  };
  auto refuse = [&](const Error& e) { return record(failed_result(order, e, before)); };

  const fs::path name_dir = config_.install_root / order.package_name;
  const fs::path version_dir = name_dir / order.package_version;
  const fs::path staging = name_dir / (".staging-" + order.package_version + "-" + random_suffix());
  std::error_code ec;
  fs::create_directories(name_dir, ec);
  if (ec) return refuse(Error{"install.write_failed", ec.message(), name_dir.string()});
  auto current = read_current(name_dir);
  if (!current) return refuse(current.error());
  const std::string previous = *current;

  Journal j;
  j.order_id = order.order_id;
  j.deployment_id = order.deployment_id;
  j.package = order.package_name;
  j.version = order.package_version;
  j.previous = previous;
  j.phase = std::string(journal_phase::kExtracting);
  // An earlier copy of this version (a reinstall, or a kept older version) moves aside until
  // the outcome is known; its place is journaled before anything moves.
  if (fs::exists(version_dir, ec)) {
    j.aside = (name_dir / (".previous-" + order.package_version + "-" + random_suffix())).string();
  }
  auto save = [&] { return update_state([&](InstallState& s) { s.journal = j; }); };
  if (auto s = save(); !s) return failed_result(order, s.error(), before);

  // One pass: the manifest must be the order's, signed by enough publishers and fit for this
  // host before a byte is written; every payload byte is hashed as it is extracted.
  auto accept = [&](const packaging::Manifest& m) -> Result<void> {
    if (m.name != order.package_name || m.version != order.package_version) {
      return fail("order.package_mismatch",
                  "the package is " + m.name + " " + m.version + " but the order names " +
                      order.package_name + " " + order.package_version,
                  order.download_path);
    }
    return check_platform(m.platform, *config_.platform);
  };
  auto payload = packaging::install_payload(a.package_file, config_.trust, staging, {},
                                            order.manifest_sha256, accept);
  if (!payload) {
    if (payload.error().code == "package.manifest_mismatch") {
      return refuse(Error{
          "order.manifest_mismatch",
          "the package's manifest is not the one the order names (" + order.manifest_sha256 + ")",
          order.download_path});
    }
    return refuse(payload.error());
  }
  step("extracted");
  const packaging::Manifest& m = payload->manifest;
  j.incoming.payload_kind = m.payload_kind;
  j.incoming.deb_file = m.payload_kind == "deb" ? m.files.at(0).path : "";
  j.incoming.post_install = m.hooks.post_install;
  j.incoming.health_check = m.hooks.health_check;
  j.incoming.hook_timeout_seconds = m.hooks.timeout_seconds;
  emit_progress(a.progress, order, "installing");

  // Every failure from here on puts back what was there and says so.
  auto undo = [&](bool host_changed, const std::string& code, std::string message) {
    if (host_changed) emit_progress(a.progress, order, "rolling_back");
    std::string problems = undo_install(j, host_changed, out);
    fs::remove_all(staging, ec);
    std::string back = previous.empty() ? "no version" : previous;
    message += host_changed ? "; the host was put back on " + back : "; the host stays on " + back;
    if (!problems.empty()) message += "; restoring it also failed: " + problems;
    if (host_changed && problems.empty() && !previous.empty()) {
      if (auto again = reactivate(order.package_name, previous, out); !again.empty()) {
        message += "; then " + again;
      }
    }
    return record(make_result(order, "failed", code, message, before,
                              host_changed ? "rolled_back" : "failed", &out));
  };

  if (!j.aside.empty()) {
    if (auto s = save(); !s) return undo(false, s.error().code, s.error().describe());
    fs::rename(version_dir, j.aside, ec);
    if (ec) return undo(false, "install.write_failed", "cannot move aside: " + ec.message());
  }
  fs::rename(staging, version_dir, ec);
  if (ec) {
    return undo(false, "install.write_failed",
                "could not move the payload into place: " + ec.message());
  }
  // The new files must be on disk before current can point at them (power loss).
  if (auto s = sync_filesystem(name_dir); !s) {
    return undo(false, "install.write_failed", s.error().describe());
  }
  step("in_place");

  const bool deb = j.incoming.payload_kind == "deb";
  const fs::path deb_file = version_dir / j.incoming.deb_file;
  const fs::path dpkg_log = config_.state_dir / "dpkg.log";
  if (deb) {
    ChildRun field = run_child(dpkg_field_command(config_.dpkg, deb_file, dpkg_log));
    auto name = field.ok ? parse_deb_package_name(field.tail)
                         : Result<std::string>(fail("install.deb_invalid",
                                                    "dpkg cannot read the .deb: " + field.failure +
                                                        ": " + clip_utf8(field.tail, 500, true)));
    if (!name) return undo(false, name.error().code, name.error().message);
    j.incoming.deb_package = *name;
  }

  j.phase = std::string(journal_phase::kPreInstall);
  if (auto s = save(); !s) return undo(false, s.error().code, s.error().describe());
  if (auto why = run_hook_for("pre_install", m.hooks.pre_install, order.package_name,
                              order.package_version, previous, m.hooks.timeout_seconds, out);
      !why.empty()) {
    return undo(false, "install.pre_install_failed", why);
  }

  if (deb) {
    j.phase = std::string(journal_phase::kDpkgInstall);
    if (auto s = save(); !s) return undo(false, s.error().code, s.error().describe());
    auto why = run_journaled("dpkg --install",
                             dpkg_install_command(config_.dpkg, deb_file, dpkg_log), out);
    step("dpkg_installed");
    if (!why.empty()) {
      return undo(true, "install.dpkg_failed",
                  "dpkg --install " + j.incoming.deb_file + " " + why + " (" + order.package_name +
                      " " + order.package_version + ")");
    }
  }

  j.phase = std::string(journal_phase::kSwitching);
  if (auto s = save(); !s) return undo(deb, s.error().code, s.error().describe());
  if (auto s = switch_current(name_dir, order.package_version); !s) {
    return undo(true, s.error().code, s.error().message + " (" + s.error().context + ")");
  }
  step("switched");

  j.phase = std::string(journal_phase::kPostInstall);
  if (auto s = save(); !s) return undo(true, s.error().code, s.error().describe());
  if (auto why = run_hook_for("post_install", m.hooks.post_install, order.package_name,
                              order.package_version, previous, m.hooks.timeout_seconds, out);
      !why.empty()) {
    return undo(true, "install.post_install_failed", why);
  }
  if (!m.hooks.health_check.empty()) {
    j.phase = std::string(journal_phase::kHealthCheck);
    if (auto s = save(); !s) return undo(true, s.error().code, s.error().describe());
    emit_progress(a.progress, order, "health_check");
    if (auto why = run_hook_for("health_check", m.hooks.health_check, order.package_name,
                                order.package_version, previous, m.hooks.timeout_seconds, out);
        !why.empty()) {
      return undo(true, "install.health_check_failed", why);
    }
  }

  std::string message = "installed " + order.package_name + " " + order.package_version;
  if (a.interruptions > 0) {
    message += " (on try " + std::to_string(a.interruptions + 1) +
               ": the agent was restarted during the earlier ones, before they changed the "
               "host)";
  }
  DeployResult result =
      make_result(order, "succeeded", "", message, order.package_version, "done", &out);
  auto saved = update_state([&](InstallState& s) {
    s.journal.reset();
    s.installed[order.package_name] = order.package_version;
    auto& ps = s.packages[order.package_name];
    std::erase(ps.history, order.package_version);
    ps.history.push_back(order.package_version);
    ps.kept[order.package_version] = j.incoming;
    s.results.push_back(result);
    s.interrupted.erase(order.order_id);
  });
  if (!saved) {
    return undo(true, "state.write_failed",
                "installed but could not record it: " + saved.error().describe());
  }
  step("recorded");
  if (!j.aside.empty()) fs::remove_all(j.aside, ec);
  prune(order.package_name);
  return result;
}

}  // namespace relman::agent
