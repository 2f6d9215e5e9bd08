// Migration 2 (releases: roles): groups, their members and role assignments. A user's roles
// are its own (user_roles) and its groups' (group_roles). Existing users keep their one role.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0002Access{
    .version = 2,
    .name = "access",
    .sql = R"sql(
CREATE TABLE user_roles (
  user_id BIGINT NOT NULL REFERENCES users(id),
  role TEXT {{sorted}} NOT NULL,
  PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles(user_id, role) SELECT id, role FROM users;
CREATE TABLE user_groups (
  id {{id_pk}},
  name TEXT {{sorted}} NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE TABLE group_roles (
  group_id BIGINT NOT NULL REFERENCES user_groups(id),
  role TEXT {{sorted}} NOT NULL,
  PRIMARY KEY (group_id, role)
);
CREATE TABLE group_members (
  group_id BIGINT NOT NULL REFERENCES user_groups(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  PRIMARY KEY (group_id, user_id)
);
)sql",
};

}  // namespace relman::controller::migrations
