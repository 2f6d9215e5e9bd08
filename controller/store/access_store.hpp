// The store's part for users, groups and role assignments (issue #3). Role names are checked
// by the caller (auth/permissions.hpp); the store keeps them as given. Mutations append their
// audit entry in the same transaction. Errors: user.not_found, group.not_found, group.exists.
#pragma once

#include <string>
#include <vector>

#include "controller/store/records.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

class AccessStore {
 public:
  virtual ~AccessStore() = default;

  // Replaces the user's own roles (group roles are not touched).
  virtual Result<void> set_user_roles(const std::string& username,
                                      const std::vector<std::string>& roles,
                                      const std::string& actor) = 0;
  virtual Result<std::vector<User>> list_users(const Page& page) = 0;
  virtual Result<GroupRecord> create_group(const std::string& name,
                                           const std::vector<std::string>& roles,
                                           const std::vector<std::string>& members,
                                           const std::string& actor) = 0;
  // Replaces the member list.
  virtual Result<GroupRecord> set_group_members(const std::string& name,
                                                const std::vector<std::string>& members,
                                                const std::string& actor) = 0;
  virtual Result<std::vector<GroupRecord>> list_groups(const Page& page) = 0;
};

}  // namespace relman::controller
