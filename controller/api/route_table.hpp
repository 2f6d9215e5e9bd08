// The API's routes as data: method + path pattern ("/releases/{id}/deployments") + who may
// call it + handler. Router dispatches through it; the OpenAPI test lists it. No Beast here.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/api/api_call.hpp"
#include "controller/auth/permissions.hpp"

namespace relman::controller {

enum class Access {
  kPublic,  // no credentials (health, login, the agent WebSocket hint)
  kAgent,   // a verified agent client certificate; the handler checks it
  kUser,    // a valid session token
};

using RouteHandler = std::function<ApiResponse(ApiCall&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;  // under /api/v1, e.g. "/releases/{id}"
  Access access;
  // For kUser routes: the permission the user's roles must hold (403 auth.forbidden naming it).
  std::optional<Permission> permission;
};

class RouteTable {
 public:
  // Patterns are '/'-separated; a segment "{name}" matches any one non-empty segment and is
  // passed to the handler as call.params["name"].
  void add(const std::string& method, const std::string& pattern, Access access,
           RouteHandler handler);
  // A user route that needs `permission`.
  void add(const std::string& method, const std::string& pattern, Permission permission,
           RouteHandler handler);

  struct Match {
    const RouteInfo* route = nullptr;  // set when method and path match
    const RouteHandler* handler = nullptr;
    std::map<std::string, std::string> params;
    std::string allowed;  // when only the path matched: the methods it takes ("GET, POST")
  };
  Match match(const std::string& method, const std::vector<std::string>& segments) const;

  std::vector<RouteInfo> routes() const;

 private:
  struct Entry {
    RouteInfo info;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Entry> entries_;
};

}  // namespace relman::controller
