// Rollouts: a release's plan started for real (POST /releases/{id}/rollouts), shown
// (GET /rollouts/{id}) and steered (pause, resume, abort, retry-failed). The rollout runner
// (rollout/runner.hpp) executes them; these handlers only store decisions.
#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/rollout/engine.hpp"
#include "controller/rollout/plan_store.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

inline constexpr std::int64_t kDefaultDeadlineSeconds = 7 * 86400;
inline constexpr std::int64_t kMaxDeadlineSeconds = 366LL * 86400;

struct RolloutOptions {
  std::int64_t deadline = 0;
  std::string failure_policy = "stop";
  bool allow_downgrade = false;
};

Result<RolloutOptions> rollout_options(const json& body, std::int64_t now) {
  protocol::JsonReader r(body);
  auto deadline = r.optional_integer("deadline", now + 60, now + kMaxDeadlineSeconds);
  auto policy = r.optional_string("failure_policy");
  auto downgrade = r.optional_boolean("allow_downgrade");
  if (policy && *policy != "stop" && *policy != "stop_and_rollback") {
    r.reject("failure_policy", "request.invalid_value",
             "the failure policy is \"stop\" or \"stop_and_rollback\"");
  }
  RELMAN_CHECK(r.finish_tolerant());
  return RolloutOptions{deadline.value_or(now + kDefaultDeadlineSeconds), policy.value_or("stop"),
                        downgrade.value_or(false)};
}

rollout::RolloutRecord draft_of(const rollout::Plan& plan, std::int64_t release_id,
                                const PackageRecord& package, const rollout::PlanRequest& request,
                                const RolloutOptions& options) {
  rollout::RolloutRecord r;
  r.release_id = release_id;
  r.package_id = package.id;
  r.failure_policy = options.failure_policy;
  r.deadline = options.deadline;
  r.request_json = rollout::to_json(request).dump();
  for (std::size_t i = 0; i < plan.waves.size(); ++i) {
    const auto& w = plan.waves[i];
    r.waves.push_back({.index = static_cast<std::int64_t>(i),
                       .kind = std::string(rollout::wave_kind_name(w.kind)),
                       .max_concurrent = w.max_concurrent,
                       .min_succeeded = w.min_succeeded,
                       .max_failed = w.max_failed,
                       .earliest_start = w.earliest_start});
    for (std::size_t p = 0; p < w.hosts.size(); ++p) {
      const auto& h = w.hosts[p];
      rollout::RolloutHost host;
      host.host_id = h.id;
      host.wave = static_cast<std::int64_t>(i);
      host.position = static_cast<std::int64_t>(p);
      host.tier = h.tier;
      host.after = h.after;
      host.earliest_start = h.earliest_start;
      host.allowed_until = h.allowed_until;
      r.hosts.push_back(std::move(host));
    }
  }
  return r;
}

ApiResponse start_rollout(ApiServices& s, const ApiCall& call, std::int64_t release_id) {
  auto release = s.store.get_release(release_id);
  if (!release) return from_error(release.error());
  if (!*release) return error_response(404, "release.not_found", "no release with this id");
  auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
  if (!doc) return from_error(doc.error());
  auto request = rollout::plan_request_from_json(
      *doc, {"package_id", "package", "version", "deadline", "failure_policy", "allow_downgrade"});
  if (!request) return from_error(request.error());
  const auto now = unix_seconds();
  auto options = rollout_options(*doc, now);
  if (!options) return from_error(options.error());
  auto package = plan_package(s.store, *doc);
  if (!package) return from_error(package.error());
  if (!*package) {
    return error_response(400, "protocol.missing_field",
                          "a rollout names its package: package_id, or package and version");
  }
  rollout::PlanRequest planned;
  auto plan = rollout::plan_known_hosts(s.store, *request, now, &planned);
  if (!plan) return from_error(plan.error());
  auto draft = draft_of(*plan, release_id, **package, planned, *options);
  auto stored = s.store.create_rollout(draft, options->allow_downgrade, call.actor().username);
  if (!stored) return from_error(stored.error());
  spdlog::info("API: {} started rollout {} of release {}: {} host(s) in {} wave(s)",
               call.actor().username, stored->id, release_id, plan->host_count, plan->waves.size());
  json out = rollout::to_json(*stored);
  out["warnings"] = rollout::to_json(*plan)["warnings"];
  return json_response(201, out);
}

using Action = Result<std::vector<rollout::RolloutEvent>> (*)(rollout::RolloutRecord&,
                                                              std::int64_t);

ApiResponse act(ApiServices& s, const ApiCall& call, Action action) {
  auto id = parse_id(call.params.at("id"));
  if (!id) return error_response(400, "request.invalid_id", "rollout ids are numbers");
  const auto now = unix_seconds();
  RolloutChange change = [&](rollout::RolloutRecord& r) { return action(r, now); };
  auto update = s.store.update_rollout(*id, change, call.actor().username);
  if (!update) return from_error(update.error());
  return json_response(200, rollout::to_json(update->rollout));
}

}  // namespace

void add_rollout_routes(RouteTable& routes, ApiServices& s) {
  routes.add("POST", "/releases/{id}/rollouts", Permission::deploy, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
    return start_rollout(s, call, *id);
  });
  routes.add("GET", "/releases/{id}/rollouts", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
    auto list = s.store.list_rollouts(*id, call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& r : *list) items.push_back(rollout::to_json(r));
    return json_response(200, page_json(items, call.page));
  });
  routes.add("GET", "/rollouts/{id}", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "rollout ids are numbers");
    auto r = s.store.get_rollout(*id);
    if (!r) return from_error(r.error());
    if (!*r) return error_response(404, "rollout.not_found", "no rollout with this id");
    return json_response(200, rollout::to_json(**r));
  });
  routes.add("POST", "/rollouts/{id}/pause", Permission::deploy,
             [&s](ApiCall& call) { return act(s, call, &rollout::pause); });
  routes.add("POST", "/rollouts/{id}/resume", Permission::deploy,
             [&s](ApiCall& call) { return act(s, call, &rollout::resume); });
  routes.add("POST", "/rollouts/{id}/abort", Permission::deploy,
             [&s](ApiCall& call) { return act(s, call, &rollout::abort); });
  routes.add("POST", "/rollouts/{id}/retry-failed", Permission::deploy,
             [&s](ApiCall& call) { return act(s, call, &rollout::retry_failed); });
}

}  // namespace relman::controller
