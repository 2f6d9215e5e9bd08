// A request target ("/api/v1/releases/7?limit=10") split into path segments under /api/v1
// and decoded query parameters. No Beast here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relman::controller {

struct Target {
  std::vector<std::string> segments;  // path split on '/', without the "api/v1" prefix
  std::map<std::string, std::string> query;
};

// Percent-decoding ('+' is a space, as in HTML forms); malformed escapes stay as they are.
std::string url_decode(std::string_view s);
// std::nullopt when the path is not under /api/v1/.
std::optional<Target> parse_target(const std::string& target);

}  // namespace relman::controller
