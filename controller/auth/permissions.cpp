#include "controller/auth/permissions.hpp"

namespace relman::controller {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::requester:
      return "requester";
    case Role::release_manager:
      return "release_manager";
    case Role::executor:
      return "executor";
    case Role::approver:
      return "approver";
    case Role::operator_:
      return "operator";
    case Role::auditor:
      return "auditor";
    case Role::admin:
      return "admin";
  }
  return "requester";
}

std::optional<Role> parse_role(std::string_view s) {
  for (auto r : kAllRoles) {
    if (role_name(r) == s) return r;
  }
  return std::nullopt;
}

std::string_view permission_name(Permission p) {
  switch (p) {
    case Permission::create:
      return "create";
    case Permission::execute:
      return "execute";
    case Permission::delegate:
      return "delegate";
    case Permission::suspend:
      return "suspend";
    case Permission::reactivate:
      return "reactivate";
    case Permission::reopen:
      return "reopen";
    case Permission::cancel:
      return "cancel";
    case Permission::approve:
      return "approve";
    case Permission::deploy:
      return "deploy";
    case Permission::manage_dml:
      return "manage_dml";
    case Permission::manage_cmdb:
      return "manage_cmdb";
    case Permission::read_audit:
      return "read_audit";
    case Permission::admin:
      return "admin";
  }
  return "admin";
}

std::optional<Permission> parse_permission(std::string_view s) {
  for (auto p : kAllPermissions) {
    if (permission_name(p) == s) return p;
  }
  return std::nullopt;
}

const std::map<Role, std::set<Permission>>& default_role_permissions() {
  using P = Permission;
  static const std::map<Role, std::set<Permission>> table = {
      {Role::requester, {P::create}},
      {Role::release_manager,
       {P::create, P::execute, P::delegate, P::suspend, P::reactivate, P::reopen, P::cancel,
        P::deploy, P::read_audit}},
      {Role::executor, {P::execute}},
      {Role::approver, {P::approve}},
      {Role::operator_, {P::deploy, P::manage_dml, P::manage_cmdb}},
      {Role::auditor, {P::read_audit}},
      {Role::admin, std::set<Permission>(kAllPermissions.begin(), kAllPermissions.end())},
  };
  return table;
}

std::set<Permission> permissions_of(const std::set<Role>& roles) {
  std::set<Permission> out;
  for (auto r : roles) {
    const auto& held = default_role_permissions().at(r);
    out.insert(held.begin(), held.end());
  }
  return out;
}

std::set<Permission> permissions_of_role_names(const std::vector<std::string>& roles) {
  std::set<Role> parsed;
  for (const auto& name : roles) {
    if (auto r = parse_role(name)) parsed.insert(*r);
  }
  return permissions_of(parsed);
}

Result<void> require(const std::set<Permission>& held, Permission p) {
  if (held.contains(p)) return ok();
  std::string name(permission_name(p));
  return fail("auth.forbidden", "this needs the '" + name + "' permission", name);
}

Permission permission_for(LifecycleAction action) {
  using A = LifecycleAction;
  switch (action) {
    case A::authorize:
    case A::new_execution:
    case A::close:
      return Permission::create;  // the requester's own steps
    case A::start_execution:
    case A::submit_for_test:
    case A::submit_for_homologation:
    case A::solve:
    case A::mark_unresolved:
    case A::capture:
      return Permission::execute;
    case A::approve:
    case A::reject:
      return Permission::approve;
    case A::suspend:
      return Permission::suspend;
    case A::reactivate:
      return Permission::reactivate;
    case A::cancel:
      return Permission::cancel;
    case A::reopen:
      return Permission::reopen;
    case A::delegate:
    case A::share:
      return Permission::delegate;
  }
  return Permission::admin;
}

}  // namespace relman::controller
