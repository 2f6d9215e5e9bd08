// Keeps the entries of one tree (an archive being extracted, or a manifest) from escaping its
// root through symbolic links. Each link's target is resolved lexically from the link's
// directory; every component the resolution passes through as a directory must be a real
// directory, never another link, or "a -> b/.." with "b -> x/y" would leave the root although
// each link looks harmless alone. Entries are checked in any order: a later entry may not turn
// a path that earlier checks treated as a directory into a link, nor write through a link.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::packaging {

class LinkGuard {
 public:
  // A directory, regular file or other non-link entry at `path` (already a safe relative
  // path). Errors: extract.link_escapes (written through a link), extract.duplicate_entry.
  Result<void> add_entry(std::string_view path, bool is_directory);
  // A symbolic link. Errors: extract.link_escapes, extract.duplicate_entry.
  Result<void> add_link(std::string_view path, std::string_view target);

 private:
  Result<void> check_ancestors(std::string_view path);

  std::set<std::string, std::less<>> names_;  // non-directory entries and links
  std::set<std::string, std::less<>> dirs_;   // explicit and implied directories
  std::set<std::string, std::less<>> links_;
  std::set<std::string, std::less<>> walked_;  // traversed as directories by link resolution
};

}  // namespace relman::packaging
