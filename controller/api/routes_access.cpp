// Users, groups and role assignments (admin only). Passwords are hashed with scrypt
// (auth/passwords.hpp) before they reach the store; the API never returns a hash.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/auth/passwords.hpp"
#include "controller/auth/permissions.hpp"
#include "controller/releases/principal.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr std::size_t kMinPasswordLength = 12;
constexpr std::size_t kMaxPasswordLength = 1024;
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxMembers = 1000;

bool valid_name(const std::string& s) { return valid_account_name(s); }

Result<std::string> name_field(protocol::JsonReader& r, std::string_view key) {
  auto s = r.string(key, kMaxNameLength);
  if (!r.ok()) return fail(*r.error());
  if (!valid_name(s)) {
    return fail("protocol.invalid_value", "names are 1 to 64 letters, digits, '.', '_' or '-'",
                std::string(key));
  }
  return s;
}

// A list of strings under `key`, each checked by `valid` (error `code` naming the entry).
Result<std::vector<std::string>> string_list(protocol::JsonReader& r, std::string_view key,
                                             bool required, std::size_t max_items,
                                             bool (*valid)(const std::string&), const char* code,
                                             const char* what) {
  const json* arr = required ? r.array(key, max_items) : r.optional_array(key, max_items);
  if (!r.ok()) return fail(*r.error());
  std::vector<std::string> out;
  if (!arr) return out;
  for (const auto& v : *arr) {
    if (!v.is_string()) {
      return fail("protocol.wrong_type", std::string(key) + " holds strings", std::string(key));
    }
    const auto& s = v.get_ref<const std::string&>();
    if (!valid(s)) return fail(code, "'" + s.substr(0, 64) + "' is not " + what, std::string(key));
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool valid_role(const std::string& s) { return parse_role(s).has_value(); }

constexpr const char* kRoleList =
    "a role (requester, release_manager, executor, approver, operator, auditor, admin)";

Result<std::vector<std::string>> roles_field(protocol::JsonReader& r, bool required) {
  return string_list(r, "roles", required, kAllRoles.size(), valid_role, "user.invalid_role",
                     kRoleList);
}

Result<std::vector<std::string>> members_field(protocol::JsonReader& r, bool required) {
  return string_list(r, "members", required, kMaxMembers, valid_name, "protocol.invalid_value",
                     "a user name");
}

json user_json(const User& u) {
  return json{{"username", u.username}, {"roles", u.roles}, {"groups", u.groups}};
}

json group_json(const GroupRecord& g) {
  return json{{"name", g.name}, {"roles", g.roles}, {"members", g.members}};
}

Result<json> body_of(const ApiCall& call) {
  return protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
}

}  // namespace

void add_access_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/users", Permission::admin, [&s](ApiCall& call) {
    auto list = s.store.list_users(call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& u : *list) items.push_back(user_json(u));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/users", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto username = name_field(r, "username");
    if (!username) return from_error(username.error());
    auto password = r.string("password", kMaxPasswordLength);
    if (!r.ok()) return from_error(*r.error());
    auto roles = roles_field(r, true);
    if (!roles) return from_error(roles.error());
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    if (password.size() < kMinPasswordLength) {
      return error_response(400, "user.weak_password", "passwords have at least 12 characters");
    }
    auto hash = hash_password(password);
    if (!hash) return from_error(hash.error());
    const std::string first = roles->empty() ? std::string() : roles->front();
    auto user = s.store.create_user(*username, *hash, first, call.actor().username);
    if (!user) return from_error(user.error());
    if (roles->size() > 1) {
      if (auto set = s.store.set_user_roles(*username, *roles, call.actor().username); !set) {
        return from_error(set.error());
      }
    }
    spdlog::info("API: {} created user {}", call.actor().username, *username);
    auto stored = s.store.find_user(*username);
    if (!stored) return from_error(stored.error());
    return json_response(201, user_json(**stored));
  });

  routes.add("PUT", "/users/{name}/roles", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto roles = roles_field(r, true);
    if (!roles) return from_error(roles.error());
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    const std::string& name = call.params["name"];
    if (auto set = s.store.set_user_roles(name, *roles, call.actor().username); !set) {
      return from_error(set.error());
    }
    auto stored = s.store.find_user(name);
    if (!stored) return from_error(stored.error());
    if (!*stored) return error_response(404, "user.not_found", "no user with this name");
    return json_response(200, user_json(**stored));
  });

  routes.add("GET", "/groups", Permission::admin, [&s](ApiCall& call) {
    auto list = s.store.list_groups(call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& g : *list) items.push_back(group_json(g));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/groups", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto name = name_field(r, "name");
    if (!name) return from_error(name.error());
    auto roles = roles_field(r, false);
    if (!roles) return from_error(roles.error());
    auto members = members_field(r, false);
    if (!members) return from_error(members.error());
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto g = s.store.create_group(*name, *roles, *members, call.actor().username);
    if (!g) return from_error(g.error());
    return json_response(201, group_json(*g));
  });

  routes.add("PUT", "/groups/{name}/members", Permission::admin, [&s](ApiCall& call) {
    auto doc = body_of(call);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto members = members_field(r, true);
    if (!members) return from_error(members.error());
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto g = s.store.set_group_members(call.params["name"], *members, call.actor().username);
    if (!g) return from_error(g.error());
    return json_response(200, group_json(*g));
  });
}

}  // namespace relman::controller
