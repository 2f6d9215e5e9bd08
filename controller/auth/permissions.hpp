// Roles and per-action permissions. A user holds the union of its roles' permissions;
// every protected action names one permission and require() refuses with auth.forbidden
// naming it. Names are stable strings: they appear in the API, the store and the audit log.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controller/releases/lifecycle.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

enum class Role {
  requester,
  release_manager,
  executor,
  approver,
  operator_,  // "operator" (a C++ keyword)
  auditor,
  admin,
};

enum class Permission {
  create,
  execute,
  delegate,
  suspend,
  reactivate,
  reopen,
  cancel,
  approve,
  deploy,
  manage_dml,
  manage_cmdb,
  read_audit,  // the audit log as events (GET /events)
  admin,
};

inline constexpr std::array kAllRoles = {Role::requester, Role::release_manager, Role::executor,
                                         Role::approver,  Role::operator_,       Role::auditor,
                                         Role::admin};

inline constexpr std::array kAllPermissions = {
    Permission::create,     Permission::execute,    Permission::delegate,    Permission::suspend,
    Permission::reactivate, Permission::reopen,     Permission::cancel,      Permission::approve,
    Permission::deploy,     Permission::manage_dml, Permission::manage_cmdb, Permission::read_audit,
    Permission::admin,
};

std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view s);
std::string_view permission_name(Permission p);
std::optional<Permission> parse_permission(std::string_view s);

// The default table (README): requester creates; release_manager runs the process; executor
// executes; approver votes; operator deploys and keeps the DML and CMDB; auditor reads, and
// with release_manager follows the audit log as events (read_audit);
// admin holds everything.
const std::map<Role, std::set<Permission>>& default_role_permissions();

// The union of the roles' permissions in the default table.
std::set<Permission> permissions_of(const std::set<Role>& roles);

// The same for role names as stored; unknown names grant nothing.
std::set<Permission> permissions_of_role_names(const std::vector<std::string>& roles);

// auth.forbidden, context: the missing permission's name.
Result<void> require(const std::set<Permission>& held, Permission p);

// The permission a lifecycle action needs (on top of the lifecycle's own rules such as
// "requester only").
Permission permission_for(LifecycleAction action);

}  // namespace relman::controller
