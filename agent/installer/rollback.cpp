// The Installer's way back: undoing an install that failed after it changed the host,
// rollback orders, recovery of a journal left by an agent that was killed, and the versions
// kept so that there is something to go back to.
#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "agent/installer/install_tree.hpp"
#include "agent/installer/installer.hpp"

namespace relman::agent {
namespace fs = std::filesystem;
using protocol::DeployOrder;
using protocol::DeployResult;

namespace {

DeployOrder order_of(const Journal& j) {
  DeployOrder order;
  order.order_id = j.order_id;
  order.deployment_id = j.deployment_id;
  order.package_name = j.package;
  order.package_version = j.version;
  return order;
}

// "the health check" for journal_phase::kHealthCheck, for messages.
std::string describe_phase(std::string_view phase) {
  if (phase == journal_phase::kExtracting) return "extraction";
  if (phase == journal_phase::kPreInstall) return "pre_install hook";
  if (phase == journal_phase::kDpkgInstall) return "dpkg install";
  if (phase == journal_phase::kSwitching) return "switch of current";
  if (phase == journal_phase::kPostInstall) return "post_install hook";
  if (phase == journal_phase::kHealthCheck) return "health check";
  return std::string(phase);
}

}  // namespace

std::string Installer::undo_install(const Journal& j, bool host_changed, HookTranscript& out) {
  const fs::path name_dir = config_.install_root / j.package;
  const fs::path version_dir = name_dir / j.version;
  const fs::path dpkg_log = config_.state_dir / "dpkg.log";
  std::string problems;
  auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
  std::error_code ec;

  // 1. An earlier copy of this version goes back where it was (if it had been moved).
  if (!j.aside.empty() && fs::exists(j.aside, ec)) {
    fs::remove_all(version_dir, ec);
    fs::rename(j.aside, version_dir, ec);
    if (ec) problem("cannot move " + j.aside + " back: " + ec.message());
  }
  // 2. dpkg back to the previous version's .deb, or the new package removed.
  if (host_changed && j.incoming.payload_kind == "deb") {
    std::optional<KeptVersion> prev;
    {
      std::lock_guard lock(mutex_);
      if (auto p = state_.packages.find(j.package); p != state_.packages.end()) {
        if (auto k = p->second.kept.find(j.previous); k != p->second.kept.end()) prev = k->second;
      }
    }
    bool prev_deb = !j.previous.empty() && prev && prev->payload_kind == "deb";
    if (!j.incoming.deb_package.empty() &&
        (!prev_deb || prev->deb_package != j.incoming.deb_package)) {
      auto why =
          run_journaled("dpkg --remove",
                        dpkg_remove_command(config_.dpkg, j.incoming.deb_package, dpkg_log), out);
      if (!why.empty()) problem("dpkg --remove " + j.incoming.deb_package + " " + why);
    }
    if (prev_deb) {
      auto deb = name_dir / j.previous / prev->deb_file;
      auto why = run_journaled("dpkg --install (previous)",
                               dpkg_install_command(config_.dpkg, deb, dpkg_log), out);
      if (!why.empty()) problem("dpkg --install of " + j.previous + " " + why);
    }
  }
  // 3. current back (also when it may not have moved: switching is idempotent).
  if (host_changed) {
    if (auto s = switch_current(name_dir, j.previous); !s) problem(s.error().describe());
  }
  // 4. The new version's files go, unless the directory was the earlier copy all along.
  if (j.aside.empty() && j.version != j.previous) {
    fs::remove_all(version_dir, ec);
    if (ec) problem("cannot remove " + version_dir.string() + ": " + ec.message());
  }
  return problems;
}

std::string Installer::reactivate(const std::string& package, const std::string& version,
                                  HookTranscript& out) {
  KeptVersion kept;
  std::string left;
  {
    std::lock_guard lock(mutex_);
    auto p = state_.packages.find(package);
    if (p == state_.packages.end()) return {};
    auto k = p->second.kept.find(version);
    if (k == p->second.kept.end()) return {};
    kept = k->second;
    if (state_.journal) left = state_.journal->version;
  }
  if (auto why = run_hook_for("post_install", kept.post_install, package, version, left,
                              kept.hook_timeout_seconds, out);
      !why.empty()) {
    return "the previous version's " + why;
  }
  if (auto why = run_hook_for("health_check", kept.health_check, package, version, left,
                              kept.hook_timeout_seconds, out);
      !why.empty()) {
    return "the previous version's " + why;
  }
  return {};
}

DeployResult Installer::roll_back_order(const DeployOrder& order, const ProgressSink& progress) {
  const std::string& package = order.package_name;
  auto record = [&](DeployResult r) {
    (void)update_state([&](InstallState& s) { s.results.push_back(r); });
    return r;
  };
  const std::string running = current_version(package);
  if (running != order.package_version) {
    return record(failed_result(
        order,
        Error{"rollback.not_installed",
              "the rollback order is for " + package + " " + order.package_version +
                  " but the host runs " + (running.empty() ? "no version of it" : running),
              "order " + order.order_id},
        running));
  }
  Journal j;
  {
    std::lock_guard lock(mutex_);
    const auto& ps = state_.packages[package];
    if (ps.history.size() >= 2 && ps.history.back() == running) {
      j.previous = ps.history[ps.history.size() - 2];
    }
    if (auto k = ps.kept.find(running); k != ps.kept.end()) j.incoming = k->second;
  }
  std::error_code ec;
  if (j.previous.empty() || !fs::is_directory(config_.install_root / package / j.previous, ec)) {
    return record(failed_result(order,
                                Error{"rollback.no_previous_version",
                                      "the host has no earlier version of " + package +
                                          " kept to go back to from " + running,
                                      "order " + order.order_id},
                                running));
  }
  j.order_id = order.order_id;
  j.deployment_id = order.deployment_id;
  j.action = std::string(protocol::kOrderRollback);
  j.package = package;
  j.version = running;
  j.phase = std::string(journal_phase::kRollingBack);
  if (auto s = update_state([&](InstallState& st) { st.journal = j; }); !s) {
    return failed_result(order, s.error(), running);
  }
  return finish_rollback(j, progress, "");
}

DeployResult Installer::finish_rollback(Journal j, const ProgressSink& progress,
                                        std::string_view after_restart) {
  const DeployOrder order = order_of(j);
  const fs::path name_dir = config_.install_root / j.package;
  const fs::path dpkg_log = config_.state_dir / "dpkg.log";
  HookTranscript out;
  emit_progress(progress, order, "rolling_back");
  KeptVersion target;
  {
    std::lock_guard lock(mutex_);
    if (auto p = state_.packages.find(j.package); p != state_.packages.end()) {
      if (auto k = p->second.kept.find(j.previous); k != p->second.kept.end()) target = k->second;
    }
  }
  auto save = [&] { return update_state([&](InstallState& s) { s.journal = j; }); };
  auto end = [&](DeployResult r, bool moved) {
    (void)update_state([&](InstallState& s) {
      s.journal.reset();
      s.results.push_back(r);
      if (!moved) return;
      s.installed[j.package] = j.previous;
      auto& history = s.packages[j.package].history;
      if (!history.empty() && history.back() == j.version) history.pop_back();
    });
    if (moved) prune(j.package);
    return r;
  };
  std::string what = j.package + " from " + j.version + " to " + j.previous;

  // dpkg first (current still names the version being left, so a failure changes nothing
  // the operator cannot see).
  std::string dpkg_problem;
  bool incoming_deb = j.incoming.payload_kind == "deb" && !j.incoming.deb_package.empty();
  if (incoming_deb &&
      (target.payload_kind != "deb" || target.deb_package != j.incoming.deb_package)) {
    dpkg_problem = run_journaled(
        "dpkg --remove", dpkg_remove_command(config_.dpkg, j.incoming.deb_package, dpkg_log), out);
  }
  if (dpkg_problem.empty() && target.payload_kind == "deb") {
    dpkg_problem = run_journaled(
        "dpkg --install",
        dpkg_install_command(config_.dpkg, name_dir / j.previous / target.deb_file, dpkg_log), out);
  }
  if (!dpkg_problem.empty()) {
    return end(make_result(order, "failed", "rollback.dpkg_failed",
                           "could not roll back " + what + ": dpkg " + dpkg_problem +
                               std::string(after_restart),
                           j.version, "failed", &out),
               false);
  }
  if (auto s = switch_current(name_dir, j.previous); !s) {
    return end(make_result(order, "failed", s.error().code,
                           "could not roll back " + what + ": " + s.error().describe(), j.version,
                           "failed", &out),
               false);
  }
  step("rollback_switched");

  j.phase = std::string(journal_phase::kPostInstall);
  (void)save();
  std::string code, why;
  why = run_hook_for("post_install", target.post_install, j.package, j.previous, j.version,
                     target.hook_timeout_seconds, out);
  if (!why.empty()) {
    code = "rollback.post_install_failed";
  } else if (!target.health_check.empty()) {
    j.phase = std::string(journal_phase::kHealthCheck);
    (void)save();
    emit_progress(progress, order, "health_check");
    why = run_hook_for("health_check", target.health_check, j.package, j.previous, j.version,
                       target.hook_timeout_seconds, out);
    if (!why.empty()) code = "rollback.health_check_failed";
  }
  std::string message = "rolled back " + what + std::string(after_restart);
  if (!why.empty()) message += ", but " + why;
  return end(make_result(order, code.empty() ? "succeeded" : "failed", code, message, j.previous,
                         "rolled_back", &out),
             true);
}

Result<void> Installer::recover(const Journal& j) {
  // A hook or dpkg the killed agent started may still run: end it before touching anything.
  kill_orphaned_group(j.child_pgid, j.child_start_time);
  if (j.action == protocol::kOrderRollback) {
    auto r = finish_rollback(j, {}, " (completed after the agent restarted during the rollback)");
    spdlog::warn("order {}: {}", j.order_id, r.message);
    return ok();
  }
  HookTranscript out;
  if (!journal_phase_changed_host(j.phase)) {
    // Nothing the host runs has changed: clean up and let the re-sent order try again.
    std::string problems = undo_install(j, false, out);
    spdlog::warn(
        "order {}: the agent stopped during the {} of {} {}; cleaned up{}{}, the order "
        "runs again when the controller re-sends it",
        j.order_id, describe_phase(j.phase), j.package, j.version,
        problems.empty() ? "" : " with problems: ", problems);
    return update_state([&](InstallState& s) {
      s.journal.reset();
      s.interrupted[j.order_id] += 1;
    });
  }
  std::string problems = undo_install(j, true, out);
  std::string back = j.previous.empty() ? "no version" : j.previous;
  std::string message = "the agent stopped during the " + describe_phase(j.phase) + " of " +
                        j.package + " " + j.version +
                        "; after the restart the host was put back on " + back;
  if (!problems.empty()) {
    message += "; restoring it also failed: " + problems;
  } else if (!j.previous.empty()) {
    if (auto again = reactivate(j.package, j.previous, out); !again.empty()) {
      message += "; then " + again;
    }
  }
  spdlog::warn("order {}: {}", j.order_id, message);
  auto result = make_result(order_of(j), "failed", "install.interrupted", message,
                            current_version(j.package), "rolled_back", &out);
  return update_state([&](InstallState& s) {
    s.journal.reset();
    s.results.push_back(result);
    s.interrupted.erase(j.order_id);
  });
}

void Installer::prune(const std::string& package) {
  std::vector<std::string> history;
  {
    std::lock_guard lock(mutex_);
    history = state_.packages[package].history;
  }
  const fs::path name_dir = config_.install_root / package;
  std::set<std::string> keep;
  auto n = static_cast<std::size_t>(std::max<std::int64_t>(config_.keep_versions, 1));
  for (std::size_t i = history.size() > n ? history.size() - n : 0; i < history.size(); ++i) {
    keep.insert(history[i]);
  }
  // Never the current one, nor the one a rollback would return to.
  if (!history.empty()) keep.insert(history.back());
  if (history.size() >= 2) keep.insert(history[history.size() - 2]);
  if (auto current = read_current(name_dir); current && !current->empty()) keep.insert(*current);
  auto removed = remove_versions_except(name_dir, keep);
  for (const auto& v : removed) spdlog::info("removed {} {} (keep_versions)", package, v);
  (void)update_state([&](InstallState& s) {
    auto& ps = s.packages[package];
    std::erase_if(ps.history, [&](const std::string& v) { return !keep.contains(v); });
    std::erase_if(ps.kept, [&](const auto& kv) { return !keep.contains(kv.first); });
  });
}

}  // namespace relman::agent
