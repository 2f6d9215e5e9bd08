// Release types (read by every user, written by admins) and the groups subscribed to a
// release's notifications. GET /notifications is with GET /events in routes_events.cpp.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/auth/permissions.hpp"
#include "controller/releases/release_type.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

Result<json> body_of(const ApiCall& call) {
  return protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
}

json subscription_json(const ReleaseSubscription& s) {
  return json{{"group", s.group}, {"added_by", s.added_by}, {"added_at", s.added_at}};
}

Result<std::int64_t> release_id_of(ApiCall& call) {
  auto id = parse_id(call.params["id"]);
  if (!id) return fail("request.invalid_id", "release ids are numbers", "id");
  return *id;
}

// A group asks for a release's notifications through one of its members; a holder of
// `delegate` (who hands work to groups) may subscribe or unsubscribe any group.
Result<void> may_subscribe(const User& user, const std::string& group) {
  if (std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end()) return ok();
  if (permissions_of_role_names(user.roles).contains(Permission::delegate)) return ok();
  return fail("auth.not_in_group",
              "only a member of the group, or a holder of the delegate permission, may "
              "subscribe or unsubscribe it",
              group);
}

}  // namespace

void add_release_type_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/release-types", Access::kUser, [&s](ApiCall& call) {
    auto list = s.store.list_release_types(call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& t : *list) items.push_back(to_json(t));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/release-types", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    auto type = parse_release_type(*doc);
    if (!type) return from_error(type.error());
    auto stored = s.store.create_release_type(*type, call.actor().username);
    if (!stored) return from_error(stored.error());
    spdlog::info("API: {} created release type {}", call.actor().username, stored->name);
    return json_response(201, to_json(*stored));
  });

  routes.add("GET", "/release-types/{name}", Access::kUser, [&s](ApiCall& call) {
    auto t = s.store.get_release_type(call.params["name"]);
    if (!t) return from_error(t.error());
    if (!*t) return error_response(404, "release_type.not_found", "no release type with this name");
    return json_response(200, to_json(**t));
  });

  routes.add("PATCH", "/release-types/{name}", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    auto patch = parse_release_type_patch(*doc);
    if (!patch) return from_error(patch.error());
    auto stored = s.store.change_release_type(
        call.params["name"],
        [&](const ReleaseType& current) -> Result<ReleaseType> {
          return apply_patch(current, *patch);
        },
        call.actor().username);
    if (!stored) return from_error(stored.error());
    return json_response(200, to_json(*stored));
  });

  routes.add("GET", "/releases/{id}/subscriptions", Access::kUser, [&s](ApiCall& call) {
    auto id = release_id_of(call);
    if (!id) return from_error(id.error());
    auto subs = s.store.release_subscriptions(*id);
    if (!subs) return from_error(subs.error());
    json items = json::array();
    for (const auto& sub : *subs) items.push_back(subscription_json(sub));
    return json_response(200, json{{"items", items}});
  });

  routes.add("POST", "/releases/{id}/subscriptions", Access::kUser, [&s](ApiCall& call) {
    auto id = release_id_of(call);
    if (!id) return from_error(id.error());
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto group = r.string("group", 64);
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    if (auto may = may_subscribe(call.actor(), group); !may) return from_error(may.error());
    auto added = s.store.subscribe_release(*id, group, call.actor().username);
    if (!added) return from_error(added.error());
    return json_response(*added ? 201 : 200, json{{"group", group}, {"subscribed", true}});
  });

  routes.add("DELETE", "/releases/{id}/subscriptions/{group}", Access::kUser, [&s](ApiCall& call) {
    auto id = release_id_of(call);
    if (!id) return from_error(id.error());
    const std::string& group = call.params["group"];
    if (auto may = may_subscribe(call.actor(), group); !may) return from_error(may.error());
    auto removed = s.store.unsubscribe_release(*id, group, call.actor().username);
    if (!removed) return from_error(removed.error());
    if (!*removed) {
      return error_response(404, "subscription.not_found", "this group is not subscribed");
    }
    return json_response(200, json{{"group", group}, {"subscribed", false}});
  });
}

}  // namespace relman::controller
