// Health and sessions: login (public), logout and "who am I".
#include <spdlog/spdlog.h>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/auth/passwords.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
using nlohmann::json;

void add_session_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/health", Access::kPublic, [](ApiCall&) {
    return json_response(200, json{{"status", "ok"}});
  });

  routes.add("POST", "/auth/login", Access::kPublic, [&s](ApiCall& call) {
    auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto username = r.string("username");
    auto password = r.string("password", 1024);
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto user = s.store.find_user(username);
    if (!user) return from_error(user.error());
    // Same answer for an unknown user and a wrong password: do not reveal which names exist.
    if (!*user || !verify_password(password, (*user)->password_hash)) {
      spdlog::warn("API: failed login for '{}'", username);
      return error_response(401, "auth.invalid_credentials", "wrong user name or password");
    }
    std::string token = new_session_token();
    std::int64_t expires = unix_seconds() + s.config.session_ttl_seconds;
    if (auto c = s.store.create_session(token_hash(token), (*user)->id, expires); !c) {
      return from_error(c.error());
    }
    return json_response(200, json{{"token", token},
                                   {"expires_at", expires},
                                   {"user",
                                    {{"username", (*user)->username},
                                     {"role", (*user)->role},
                                     {"roles", (*user)->roles},
                                     {"groups", (*user)->groups}}}});
  });

  routes.add("POST", "/auth/logout", Access::kUser, [&s](ApiCall& call) {
    // Access::kUser guarantees a well-formed bearer header.
    const std::string& header = call.req.headers.at("authorization");
    if (auto d = s.store.delete_session(token_hash(header.substr(7))); !d) {
      return from_error(d.error());
    }
    return json_response(200, json{{"logged_out", true}});
  });

  routes.add("GET", "/auth/me", Access::kUser, [](ApiCall& call) {
    const User& u = call.actor();
    return json_response(
        200,
        json{{"username", u.username}, {"role", u.role}, {"roles", u.roles}, {"groups", u.groups}});
  });
}

}  // namespace relman::controller
