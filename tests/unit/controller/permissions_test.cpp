#include "controller/auth/permissions.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace relman::controller {
namespace {

using P = Permission;
using A = LifecycleAction;

TEST(Permissions, NamesAreStableStrings) {
  std::vector<std::string> names;
  for (auto p : kAllPermissions) names.emplace_back(permission_name(p));
  EXPECT_EQ(names, (std::vector<std::string>{"create", "execute", "delegate", "suspend",
                                             "reactivate", "reopen", "cancel", "approve", "deploy",
                                             "manage_dml", "manage_cmdb", "read_audit", "admin"}));
  std::vector<std::string> roles;
  for (auto r : kAllRoles) roles.emplace_back(role_name(r));
  EXPECT_EQ(roles, (std::vector<std::string>{"requester", "release_manager", "executor", "approver",
                                             "operator", "auditor", "admin"}));
  for (auto p : kAllPermissions) EXPECT_EQ(parse_permission(permission_name(p)), p);
  for (auto r : kAllRoles) EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_EQ(parse_role("operator_"), std::nullopt);
  EXPECT_EQ(parse_role("Admin"), std::nullopt);
  EXPECT_EQ(parse_permission("manage-dml"), std::nullopt);
  EXPECT_EQ(parse_permission(""), std::nullopt);
}

TEST(Permissions, DefaultTableGivesEachRoleItsJob) {
  const auto& t = default_role_permissions();
  EXPECT_EQ(t.size(), kAllRoles.size());
  EXPECT_EQ(t.at(Role::requester), (std::set<P>{P::create}));
  EXPECT_EQ(t.at(Role::executor), (std::set<P>{P::execute}));
  EXPECT_EQ(t.at(Role::approver), (std::set<P>{P::approve}));
  EXPECT_EQ(t.at(Role::operator_), (std::set<P>{P::deploy, P::manage_dml, P::manage_cmdb}));
  EXPECT_EQ(t.at(Role::auditor), (std::set<P>{P::read_audit}));
  EXPECT_EQ(t.at(Role::admin).size(), kAllPermissions.size());
  const auto& rm = t.at(Role::release_manager);
  for (auto p : {P::create, P::execute, P::delegate, P::suspend, P::reactivate, P::reopen,
                 P::cancel, P::deploy, P::read_audit}) {
    EXPECT_TRUE(rm.contains(p)) << permission_name(p);
  }
  for (auto p : {P::approve, P::manage_dml, P::manage_cmdb, P::admin}) {
    EXPECT_FALSE(rm.contains(p)) << permission_name(p);
  }
}

TEST(Permissions, UserHoldsTheUnionOfItsRoles) {
  EXPECT_TRUE(permissions_of({}).empty());
  EXPECT_EQ(permissions_of({Role::requester, Role::approver}),
            (std::set<P>{P::create, P::approve}));
  EXPECT_EQ(permissions_of({Role::auditor}), std::set<P>{P::read_audit});
}

TEST(Permissions, RequireNamesTheMissingPermission) {
  EXPECT_TRUE(require({P::create, P::approve}, P::approve));
  for (auto p : kAllPermissions) {
    auto r = require({}, p);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "auth.forbidden");
    EXPECT_EQ(r.error().context, permission_name(p));
    EXPECT_NE(r.error().message.find(permission_name(p)), std::string::npos);
    EXPECT_TRUE(require(permissions_of({Role::admin}), p));
  }
  auto r = require({P::execute}, P::manage_cmdb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context, "manage_cmdb");
}

TEST(Permissions, EveryLifecycleActionNeedsTheDocumentedPermission) {
  const std::map<A, P> expected = {
      {A::authorize, P::create},        {A::start_execution, P::execute},
      {A::submit_for_test, P::execute}, {A::submit_for_homologation, P::execute},
      {A::approve, P::approve},         {A::reject, P::approve},
      {A::solve, P::execute},           {A::mark_unresolved, P::execute},
      {A::new_execution, P::create},    {A::close, P::create},
      {A::suspend, P::suspend},         {A::reactivate, P::reactivate},
      {A::cancel, P::cancel},           {A::reopen, P::reopen},
      {A::capture, P::execute},         {A::delegate, P::delegate},
      {A::share, P::delegate},
  };
  ASSERT_EQ(expected.size(), kAllLifecycleActions.size());
  for (auto a : kAllLifecycleActions) {
    EXPECT_EQ(permission_for(a), expected.at(a)) << lifecycle_action_name(a);
  }
}

TEST(Permissions, EachRoleCanTakeItsPartOfTheLifecycle) {
  auto can = [](Role r, A a) { return permissions_of({r}).contains(permission_for(a)); };
  EXPECT_TRUE(can(Role::requester, A::authorize));
  EXPECT_TRUE(can(Role::requester, A::close));
  EXPECT_FALSE(can(Role::requester, A::start_execution));
  EXPECT_TRUE(can(Role::executor, A::solve));
  EXPECT_FALSE(can(Role::executor, A::cancel));
  EXPECT_TRUE(can(Role::approver, A::reject));
  EXPECT_FALSE(can(Role::approver, A::solve));
  EXPECT_TRUE(can(Role::release_manager, A::suspend));
  EXPECT_FALSE(can(Role::release_manager, A::approve));
  for (auto a : kAllLifecycleActions) {
    EXPECT_FALSE(can(Role::auditor, a));
    EXPECT_FALSE(can(Role::operator_, a));
    EXPECT_TRUE(can(Role::admin, a));
  }
}

}  // namespace
}  // namespace relman::controller
