#include "controller/api/route_table.hpp"

#include <stdexcept>

namespace relman::controller {
namespace {

std::vector<std::string> split_pattern(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '/') {
    throw std::logic_error("route pattern must start with '/': " + pattern);
  }
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    auto slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    out.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void RouteTable::add(const std::string& method, const std::string& pattern, Access access,
                     RouteHandler handler) {
  for (const auto& e : entries_) {
    if (e.info.method == method && e.info.pattern == pattern) {
      throw std::logic_error("route registered twice: " + method + " " + pattern);
    }
  }
  entries_.push_back(Entry{RouteInfo{method, pattern, access, std::nullopt}, split_pattern(pattern),
                           std::move(handler)});
}

void RouteTable::add(const std::string& method, const std::string& pattern, Permission permission,
                     RouteHandler handler) {
  add(method, pattern, Access::kUser, std::move(handler));
  entries_.back().info.permission = permission;
}

RouteTable::Match RouteTable::match(const std::string& method,
                                    const std::vector<std::string>& segments) const {
  Match out;
  for (const auto& e : entries_) {
    if (e.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool same = true;
    for (std::size_t i = 0; i < segments.size() && same; ++i) {
      if (is_param(e.segments[i])) {
        if (segments[i].empty()) same = false;
        params[e.segments[i].substr(1, e.segments[i].size() - 2)] = segments[i];
      } else {
        same = e.segments[i] == segments[i];
      }
    }
    if (!same) continue;
    if (e.info.method == method) {
      out.route = &e.info;
      out.handler = &e.handler;
      out.params = std::move(params);
      return out;
    }
    if (e.info.method != "HEAD") out.allowed += (out.allowed.empty() ? "" : ", ") + e.info.method;
  }
  return out;
}

std::vector<RouteInfo> RouteTable::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& e : entries_) out.push_back(e.info);
  return out;
}

}  // namespace relman::controller
