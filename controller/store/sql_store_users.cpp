// SqlStore: users and their sessions.
#include "controller/store/sql_store.hpp"

#include <nlohmann/json.hpp>

#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
constexpr const char* kUserColumns = "u.id, u.username, u.password_hash, u.role";
// The statement's user (if any) with its roles and groups.
Result<std::optional<User>> one_user(sql::Connection& c, sql::Statement& st) {
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<User>();
  User u{st.int64(0), st.text(1), st.text(2), st.text(3), {}, {}};
  RELMAN_CHECK(st.run());
  RELMAN_CHECK(store_sql::load_access(c, u));
  return std::optional<User>(std::move(u));
}
}  // namespace

Result<std::int64_t> SqlStore::count_users() {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::int64_t> {
    RELMAN_TRY(st, c.prepare("SELECT COUNT(*) FROM users"));
    RELMAN_CHECK(st.step());
    return st.int64(0);
  });
}

Result<User> SqlStore::create_user(const std::string& username, const std::string& password_hash,
                                   const std::string& role, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<User> {
    RELMAN_TRY(st, c.prepare("INSERT INTO users(username, password_hash, role, created_at) "
                             "VALUES(?, ?, ?, ?) RETURNING id"));
    st.bind(1, username).bind(2, password_hash).bind(3, role).bind(4, unix_seconds());
    auto row = st.step();
    if (!row) {
      if (row.error().code == "store.constraint") {
        return fail("user.exists", "a user with this name exists already", username);
      }
      return fail(row.error());
    }
    User u{st.int64(0), username, password_hash, role, {role}, {}};
    RELMAN_CHECK(st.run());
    RELMAN_CHECK(store_sql::grant_roles(c, u.id, {role}));
    RELMAN_CHECK(store_sql::append_audit(c, actor, "user.create", "user", username,
                                         nlohmann::json{{"role", role}}.dump()));
    return u;
  });
}

Result<std::optional<User>> SqlStore::find_user(const std::string& username) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<User>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kUserColumns +
                             " FROM users u WHERE u.username = ?"));
    st.bind(1, username);
    return one_user(c, st);
  });
}

Result<void> SqlStore::create_session(const std::string& token_hash, std::int64_t user_id,
                                      std::int64_t expires_at) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("INSERT INTO sessions(token_hash, user_id, expires_at) "
                             "VALUES(?, ?, ?)"));
    RELMAN_CHECK(st.bind(1, token_hash).bind(2, user_id).bind(3, expires_at).run());
    // Expired sessions are of no use to anyone: drop them while we are here.
    RELMAN_TRY(gc, c.prepare("DELETE FROM sessions WHERE expires_at < ?"));
    return gc.bind(1, unix_seconds()).run();
  });
}

Result<std::optional<User>> SqlStore::find_session_user(const std::string& token_hash,
                                                        std::int64_t now) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<User>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kUserColumns +
                             " FROM sessions s JOIN users u ON u.id = s.user_id "
                             "WHERE s.token_hash = ? AND s.expires_at > ?"));
    st.bind(1, token_hash).bind(2, now);
    return one_user(c, st);
  });
}

Result<void> SqlStore::delete_session(const std::string& token_hash) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("DELETE FROM sessions WHERE token_hash = ?"));
    return st.bind(1, token_hash).run();
  });
}

}  // namespace relman::controller
