// SqlStore: users' roles, groups and memberships (AccessStore). Role names are checked by the
// caller (auth/permissions.hpp); the store keeps them as given.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {

// The first column of every row, sorted and without repeats (sorted here rather than in SQL so
// both databases give the same byte order).
Result<std::vector<std::string>> sorted_names(sql::Statement& st) {
  RELMAN_TRY(names, store_sql::collect<std::string>(
                        st, [](const sql::Statement& r) { return r.text(0); }));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::optional<std::int64_t>> user_id(sql::Connection& c, const std::string& username) {
  RELMAN_TRY(st, c.prepare("SELECT id FROM users WHERE username = ?"));
  st.bind(1, username);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(st.int64(0));
}

Result<std::optional<GroupRecord>> group_by_name(sql::Connection& c, const std::string& name) {
  RELMAN_TRY(st, c.prepare("SELECT id, name FROM user_groups WHERE name = ?"));
  st.bind(1, name);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<GroupRecord>();
  GroupRecord g{st.int64(0), st.text(1), {}, {}};
  RELMAN_TRY(roles, c.prepare("SELECT role FROM group_roles WHERE group_id = ?"));
  roles.bind(1, g.id);
  RELMAN_TRY(role_names, sorted_names(roles));
  g.roles = std::move(role_names);
  RELMAN_TRY(members, c.prepare("SELECT u.username FROM users u JOIN group_members gm "
                                "ON gm.user_id = u.id WHERE gm.group_id = ?"));
  members.bind(1, g.id);
  RELMAN_TRY(member_names, sorted_names(members));
  g.members = std::move(member_names);
  return std::optional<GroupRecord>(std::move(g));
}

// Inside the caller's transaction: the group's members become `members` (unknown names are
// user.not_found).
Result<void> replace_members(sql::Connection& c, std::int64_t group_id,
                             const std::vector<std::string>& members) {
  RELMAN_TRY(clear, c.prepare("DELETE FROM group_members WHERE group_id = ?"));
  RELMAN_CHECK(clear.bind(1, group_id).run());
  RELMAN_TRY(add, c.prepare("INSERT INTO group_members(group_id, user_id) VALUES(?, ?) "
                            "ON CONFLICT(group_id, user_id) DO NOTHING"));
  for (const auto& m : members) {
    RELMAN_TRY(id, user_id(c, m));
    if (!id) return fail("user.not_found", "no user with this name", m);
    add.reset();
    RELMAN_CHECK(add.bind(1, group_id).bind(2, *id).run());
  }
  return ok();
}

}  // namespace

Result<void> store_sql::load_access(sql::Connection& c, User& user) {
  RELMAN_TRY(roles, c.prepare("SELECT role FROM user_roles WHERE user_id = ?1 UNION "
                              "SELECT gr.role FROM group_roles gr JOIN group_members gm "
                              "ON gm.group_id = gr.group_id WHERE gm.user_id = ?1"));
  roles.bind(1, user.id);
  RELMAN_TRY(role_names, sorted_names(roles));
  user.roles = std::move(role_names);
  RELMAN_TRY(groups, c.prepare("SELECT g.name FROM user_groups g JOIN group_members gm "
                               "ON gm.group_id = g.id WHERE gm.user_id = ?"));
  groups.bind(1, user.id);
  RELMAN_TRY(group_names, sorted_names(groups));
  user.groups = std::move(group_names);
  return ok();
}

Result<void> store_sql::grant_roles(sql::Connection& c, std::int64_t user_id,
                                    const std::vector<std::string>& roles) {
  RELMAN_TRY(add, c.prepare("INSERT INTO user_roles(user_id, role) VALUES(?, ?) "
                            "ON CONFLICT(user_id, role) DO NOTHING"));
  for (const auto& role : roles) {
    add.reset();
    RELMAN_CHECK(add.bind(1, user_id).bind(2, role).run());
  }
  return ok();
}

Result<void> SqlStore::set_user_roles(const std::string& username,
                                      const std::vector<std::string>& roles,
                                      const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(id, user_id(c, username));
    if (!id) return fail("user.not_found", "no user with this name", username);
    RELMAN_TRY(clear, c.prepare("DELETE FROM user_roles WHERE user_id = ?"));
    RELMAN_CHECK(clear.bind(1, *id).run());
    RELMAN_CHECK(store_sql::grant_roles(c, *id, roles));
    return store_sql::append_audit(c, actor, "user.roles", "user", username,
                                   nlohmann::json{{"roles", roles}}.dump());
  });
}

Result<std::vector<User>> SqlStore::list_users(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<User>> {
    RELMAN_TRY(st, c.prepare("SELECT id, username, role FROM users ORDER BY id LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    RELMAN_TRY(users, store_sql::collect<User>(st, [](const sql::Statement& r) {
                 return User{r.int64(0), r.text(1), "", r.text(2), {}, {}};
               }));
    for (auto& u : users) RELMAN_CHECK(store_sql::load_access(c, u));
    return users;
  });
}

Result<GroupRecord> SqlStore::create_group(const std::string& name,
                                           const std::vector<std::string>& roles,
                                           const std::vector<std::string>& members,
                                           const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<GroupRecord> {
    RELMAN_TRY(st, c.prepare("INSERT INTO user_groups(name, created_at) VALUES(?, ?) "
                             "ON CONFLICT(name) DO NOTHING RETURNING id"));
    st.bind(1, name).bind(2, unix_seconds());
    RELMAN_TRY(row, st.step());
    if (!row) return fail("group.exists", "a group with this name exists already", name);
    const std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(add, c.prepare("INSERT INTO group_roles(group_id, role) VALUES(?, ?) "
                              "ON CONFLICT(group_id, role) DO NOTHING"));
    for (const auto& role : roles) {
      add.reset();
      RELMAN_CHECK(add.bind(1, id).bind(2, role).run());
    }
    RELMAN_CHECK(replace_members(c, id, members));
    RELMAN_CHECK(
        store_sql::append_audit(c, actor, "group.create", "group", name,
                                nlohmann::json{{"roles", roles}, {"members", members}}.dump()));
    RELMAN_TRY(group, group_by_name(c, name));
    if (!group) return fail("store.query_failed", "the new group row is missing", name);
    return std::move(*group);
  });
}

Result<GroupRecord> SqlStore::set_group_members(const std::string& name,
                                                const std::vector<std::string>& members,
                                                const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<GroupRecord> {
    RELMAN_TRY(before, group_by_name(c, name));
    if (!before) return fail("group.not_found", "no group with this name", name);
    RELMAN_CHECK(replace_members(c, before->id, members));
    RELMAN_TRY(after, group_by_name(c, name));
    if (!after) return fail("store.query_failed", "the group row is missing", name);
    RELMAN_CHECK(store_sql::append_audit(
        c, actor, "group.members", "group", name,
        nlohmann::json{{"before", before->members}, {"after", after->members}}.dump()));
    return std::move(*after);
  });
}

Result<std::vector<GroupRecord>> SqlStore::list_groups(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<GroupRecord>> {
    RELMAN_TRY(st, c.prepare("SELECT name FROM user_groups ORDER BY id LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    RELMAN_TRY(names, store_sql::collect<std::string>(
                          st, [](const sql::Statement& r) { return r.text(0); }));
    std::vector<GroupRecord> out;
    for (const auto& n : names) {
      RELMAN_TRY(g, group_by_name(c, n));
      if (g) out.push_back(std::move(*g));
    }
    return out;
  });
}

}  // namespace relman::controller
