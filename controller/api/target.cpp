#include "controller/api/target.hpp"

#include <charconv>

namespace relman::controller {

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::optional<Target> parse_target(const std::string& target) {
  std::string_view t = target;
  auto q = t.find('?');
  std::string_view path = t.substr(0, q);
  constexpr std::string_view kPrefix = "/api/v1/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  Target out;
  while (!path.empty()) {
    auto slash = path.find('/');
    out.segments.push_back(url_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (q != std::string_view::npos) {
    std::string_view qs = t.substr(q + 1);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      auto kv = qs.substr(0, amp);
      auto eq = kv.find('=');
      out.query[url_decode(kv.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  return out;
}

}  // namespace relman::controller
