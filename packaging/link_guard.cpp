#include "packaging/link_guard.hpp"

#include <vector>

namespace relman::packaging {
namespace {

constexpr std::size_t kMaxTargetLength = 4096;

std::string join(const std::vector<std::string_view>& parts) {
  std::string s;
  for (auto p : parts) {
    if (!s.empty()) s += '/';
    s += p;
  }
  return s;
}

}  // namespace

Result<void> LinkGuard::check_ancestors(std::string_view path) {
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    std::string_view ancestor = path.substr(0, slash);
    if (links_.contains(ancestor)) {
      return fail("extract.link_escapes", "entry would be written through a symbolic link",
                  std::string(path));
    }
    if (names_.contains(ancestor)) {
      return fail("extract.duplicate_entry", "entry lies under a path that is not a directory",
                  std::string(path));
    }
    dirs_.emplace(ancestor);
  }
  return ok();
}

Result<void> LinkGuard::add_entry(std::string_view path, bool is_directory) {
  if (auto r = check_ancestors(path); !r) return r;
  if (names_.contains(path)) {
    return fail("extract.duplicate_entry", "entry appears more than once", std::string(path));
  }
  if (is_directory) {
    dirs_.emplace(path);
  } else {
    if (dirs_.contains(path)) {
      return fail("extract.duplicate_entry", "entry would replace a directory", std::string(path));
    }
    names_.emplace(path);
  }
  return ok();
}

Result<void> LinkGuard::add_link(std::string_view path, std::string_view target) {
  const std::string ctx(path);
  if (auto r = add_entry(path, false); !r) return r;
  if (walked_.contains(path)) {
    return fail("extract.link_escapes",
                "link would replace a directory another link's target passes through", ctx);
  }
  if (target.empty() || target.size() > kMaxTargetLength ||
      target.find('\0') != std::string_view::npos) {
    return fail("extract.link_escapes", "link target is empty or malformed", ctx);
  }
  if (target.front() == '/') {
    return fail("extract.link_escapes", "link target is an absolute path", ctx);
  }
  std::vector<std::string_view> stack;
  std::string_view dir =
      path.substr(0, path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/'));
  if (!dir.empty()) {
    for (std::size_t start = 0;;) {
      std::size_t slash = dir.find('/', start);
      stack.push_back(dir.substr(start, slash == std::string_view::npos ? slash : slash - start));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  }
  std::vector<std::string_view> comps;
  for (std::size_t start = 0;;) {
    std::size_t slash = target.find('/', start);
    auto c = target.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!c.empty() && c != ".") comps.push_back(c);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::vector<std::string> walked;
  auto traverse = [&]() -> Result<void> {
    if (stack.empty()) return ok();
    std::string here = join(stack);
    if (links_.contains(here) || here == path) {
      return fail("extract.link_escapes", "link target passes through another symbolic link", ctx);
    }
    walked.push_back(std::move(here));
    return ok();
  };
  for (std::size_t i = 0; i < comps.size(); ++i) {
    if (comps[i] == "..") {
      if (stack.empty()) {
        return fail("extract.link_escapes", "link target leaves the destination", ctx);
      }
      if (auto r = traverse(); !r) return r;
      stack.pop_back();
    } else {
      stack.push_back(comps[i]);
      if (i + 1 < comps.size()) {
        if (auto r = traverse(); !r) return r;
      }
    }
  }
  for (auto& w : walked) walked_.insert(std::move(w));
  links_.emplace(path);
  return ok();
}

}  // namespace relman::packaging
