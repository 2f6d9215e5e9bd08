// Deployment plans: a dry run of the planner for a release (POST /releases/{id}/plan). It reads
// the store (the release, the package, the hosts and their inventory) and stores and sends
// nothing.
#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/rollout/plan_store.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

ApiResponse plan_release(ApiServices& s, const ApiCall& call, std::int64_t release_id) {
  auto release = s.store.get_release(release_id);
  if (!release) return from_error(release.error());
  if (!*release) return error_response(404, "release.not_found", "no release with this id");
  auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
  if (!doc) return from_error(doc.error());
  auto request = rollout::plan_request_from_json(*doc, {"package_id", "package", "version"});
  if (!request) return from_error(request.error());
  auto package = plan_package(s.store, *doc);
  if (!package) return from_error(package.error());
  auto plan = rollout::plan_known_hosts(s.store, *request, unix_seconds());
  if (!plan) return from_error(plan.error());
  auto affected = rollout::affected_services(s.store, *plan);
  if (!affected) return from_error(affected.error());
  spdlog::info("API: {} planned release {}: {} host(s) in {} wave(s) (dry run)",
               call.actor().username, release_id, plan->host_count, plan->waves.size());
  return json_response(200, {{"dry_run", true},
                             {"release_id", release_id},
                             {"package", *package ? to_json(**package) : json(nullptr)},
                             {"request", rollout::to_json(*request)},
                             {"plan", rollout::to_json(*plan)},
                             {"affected_services", *affected}});
}

}  // namespace

Result<std::optional<PackageRecord>> plan_package(Store& store, const json& body) {
  protocol::JsonReader r(body);
  auto package_id = r.optional_integer("package_id", 1, INT64_MAX);
  auto name = r.optional_string("package");
  auto version = r.optional_string("version");
  if (package_id && (name || version)) {
    r.reject("package", "request.invalid_value", "name the package by package_id or by name");
  } else if (name.has_value() != version.has_value()) {
    r.reject(name ? "version" : "package", "protocol.missing_field",
             "name the package by package and version together");
  }
  RELMAN_CHECK(r.finish_tolerant());
  if (!package_id && !name) return std::optional<PackageRecord>{};
  RELMAN_TRY(pkg,
             package_id ? store.get_package(*package_id) : store.find_package(*name, *version));
  if (!pkg) return fail("package.not_found", "the DML holds no such package version", "package");
  return pkg;
}

void add_plan_routes(RouteTable& routes, ApiServices& s) {
  routes.add("POST", "/releases/{id}/plan", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
    return plan_release(s, call, *id);
  });
}

}  // namespace relman::controller
