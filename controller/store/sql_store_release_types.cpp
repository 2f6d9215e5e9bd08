// SqlStore: release types, release subscriptions (ReleaseTypeStore) and the notification a
// release event carries in its audit detail. Groups named by a type or a subscription must
// exist when it is written; groups are never deleted, so they keep existing.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "controller/releases/notification.hpp"
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr const char* kTypeColumns =
    "SELECT name, description, executor_group, notify_groups_json, templates_json, version, "
    "created_by, created_at, updated_at FROM release_types ";

Result<ReleaseType> read_type(const sql::Statement& st) {
  ReleaseType t;
  t.name = st.text(0);
  t.description = st.text(1);
  t.executor_group = st.text(2);
  auto groups = json::parse(st.text(3), nullptr, false);
  auto templates = templates_from_json(json::parse(st.text(4), nullptr, false));
  if (!groups.is_array() || !templates) {
    return fail("release_type.invalid_state", "stored release type does not read back", t.name);
  }
  for (const auto& g : groups) {
    if (g.is_string()) t.notify_groups.push_back(g.get<std::string>());
  }
  t.templates = std::move(*templates);
  t.version = st.int64(5);
  t.created_by = st.text(6);
  t.created_at = st.int64(7);
  t.updated_at = st.int64(8);
  return t;
}

Result<bool> group_exists(sql::Connection& c, const std::string& name) {
  RELMAN_TRY(st, c.prepare("SELECT 1 FROM user_groups WHERE name = ?"));
  st.bind(1, name);
  RELMAN_TRY(row, st.step());
  return row;
}

// The executor group and every notify group exist (release_type.unknown_group otherwise).
Result<void> check_type_groups(sql::Connection& c, const ReleaseType& t) {
  std::vector<std::string> names = t.notify_groups;
  if (!t.executor_group.empty()) names.insert(names.begin(), t.executor_group);
  for (const auto& g : names) {
    RELMAN_TRY(exists, group_exists(c, g));
    if (!exists) {
      return fail("release_type.unknown_group", "no group with this name: create it first", g);
    }
  }
  return ok();
}

// release.not_found unless the release exists.
Result<void> require_release(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare("SELECT 1 FROM releases WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return fail("release.not_found", "no release with this id", std::to_string(id));
  return ok();
}

Result<std::vector<ReleaseSubscription>> subscriptions_of(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare("SELECT group_name, added_by, added_at FROM release_subscriptions "
                           "WHERE release_id = ?"));
  st.bind(1, id);
  RELMAN_TRY(out, store_sql::collect<ReleaseSubscription>(st, [](const sql::Statement& r) {
               return ReleaseSubscription{r.text(0), r.text(1), r.int64(2)};
             }));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.group < b.group; });
  return out;
}

json audit_type(const ReleaseType& t) {
  json j = to_json(t);
  j.erase("created_by");
  j.erase("created_at");
  j.erase("updated_at");
  return j;
}

}  // namespace

Result<std::optional<ReleaseType>> store_sql::load_release_type(sql::Connection& c,
                                                                const std::string& name) {
  RELMAN_TRY(st, c.prepare(std::string(kTypeColumns) + "WHERE name = ?"));
  st.bind(1, name);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<ReleaseType>();
  RELMAN_TRY(t, read_type(st));
  return std::optional<ReleaseType>(std::move(t));
}

Result<json> store_sql::release_notification(sql::Connection& c, const ReleaseRecord* before,
                                             const ReleaseRecord& after, const std::string& action,
                                             const std::string& actor) {
  NotificationInput in;
  in.before = before;
  in.after = &after;
  in.action = action;
  in.actor = actor;
  std::optional<ReleaseType> type;
  if (!after.fields.type.empty()) {
    RELMAN_TRY(loaded, load_release_type(c, after.fields.type));
    type = std::move(loaded);
  }
  if (type) in.type = &*type;
  RELMAN_TRY(subs, subscriptions_of(c, after.id));
  for (const auto& s : subs) in.subscribed_groups.push_back(s.group);
  return release_notification(in);
}

Result<ReleaseType> SqlStore::create_release_type(const ReleaseType& type,
                                                  const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ReleaseType> {
    RELMAN_CHECK(check_type_groups(c, type));
    const auto now = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO release_types(name, description, executor_group, "
                             "notify_groups_json, templates_json, version, created_by, "
                             "created_at, updated_at) VALUES(?, ?, ?, ?, ?, 1, ?, ?, ?) "
                             "ON CONFLICT(name) DO NOTHING RETURNING id"));
    st.bind(1, type.name)
        .bind(2, type.description)
        .bind(3, type.executor_group)
        .bind(4, json(type.notify_groups).dump())
        .bind(5, templates_to_json(type.templates).dump())
        .bind(6, actor)
        .bind(7, now)
        .bind(8, now);
    RELMAN_TRY(row, st.step());
    if (!row) return fail("release_type.exists", "a release type with this name exists", type.name);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(stored, store_sql::load_release_type(c, type.name));
    if (!stored) return fail("store.query_failed", "the new release type row is missing");
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release_type.create", "release_type", type.name,
                                         json{{"after", audit_type(*stored)}}.dump()));
    return std::move(*stored);
  });
}

Result<ReleaseType> SqlStore::change_release_type(const std::string& name,
                                                  const ReleaseTypeChangeFn& change,
                                                  const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ReleaseType> {
    RELMAN_TRY(current, store_sql::load_release_type(c, name));
    if (!current) return fail("release_type.not_found", "no release type with this name", name);
    RELMAN_TRY(next, change(*current));
    RELMAN_CHECK(check_type_groups(c, next));
    RELMAN_TRY(st, c.prepare("UPDATE release_types SET description = ?, executor_group = ?, "
                             "notify_groups_json = ?, templates_json = ?, version = ?, "
                             "updated_at = ? WHERE name = ? AND version = ?"));
    st.bind(1, next.description)
        .bind(2, next.executor_group)
        .bind(3, json(next.notify_groups).dump())
        .bind(4, templates_to_json(next.templates).dump())
        .bind(5, current->version + 1)
        .bind(6, unix_seconds())
        .bind(7, name)
        .bind(8, current->version);
    RELMAN_CHECK(st.run());
    if (st.changes() != 1) {
      return fail("release_type.version_conflict", "the release type changed meanwhile", name);
    }
    RELMAN_TRY(after, store_sql::load_release_type(c, name));
    if (!after) return fail("store.query_failed", "the release type row is missing", name);
    RELMAN_CHECK(store_sql::append_audit(
        c, actor, "release_type.update", "release_type", name,
        json{{"before", audit_type(*current)}, {"after", audit_type(*after)}}.dump()));
    return std::move(*after);
  });
}

Result<std::optional<ReleaseType>> SqlStore::get_release_type(const std::string& name) {
  return sql::read(*pool_,
                   [&](sql::Connection& c) { return store_sql::load_release_type(c, name); });
}

Result<std::vector<ReleaseType>> SqlStore::list_release_types(const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ReleaseType>> {
    RELMAN_TRY(st, c.prepare(std::string(kTypeColumns) + "ORDER BY name LIMIT ? OFFSET ?"));
    st.bind(1, store_sql::clamp_limit(page.limit)).bind(2, page.offset);
    std::vector<ReleaseType> out;
    for (;;) {
      RELMAN_TRY(row, st.step());
      if (!row) return out;
      RELMAN_TRY(t, read_type(st));
      out.push_back(std::move(t));
    }
  });
}

Result<bool> SqlStore::subscribe_release(std::int64_t release_id, const std::string& group,
                                         const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<bool> {
    RELMAN_CHECK(require_release(c, release_id));
    RELMAN_TRY(known, group_exists(c, group));
    if (!known) return fail("release.unknown_group", "no group with this name", group);
    RELMAN_TRY(st, c.prepare("INSERT INTO release_subscriptions(release_id, group_name, "
                             "added_by, added_at) VALUES(?, ?, ?, ?) "
                             "ON CONFLICT(release_id, group_name) DO NOTHING"));
    st.bind(1, release_id).bind(2, group).bind(3, actor).bind(4, unix_seconds());
    RELMAN_CHECK(st.run());
    if (st.changes() != 1) return false;
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release.subscribe", "release",
                                         std::to_string(release_id),
                                         json{{"group", group}}.dump()));
    return true;
  });
}

Result<bool> SqlStore::unsubscribe_release(std::int64_t release_id, const std::string& group,
                                           const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<bool> {
    RELMAN_CHECK(require_release(c, release_id));
    RELMAN_TRY(st, c.prepare("DELETE FROM release_subscriptions WHERE release_id = ? AND "
                             "group_name = ?"));
    st.bind(1, release_id).bind(2, group);
    RELMAN_CHECK(st.run());
    if (st.changes() != 1) return false;
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release.unsubscribe", "release",
                                         std::to_string(release_id),
                                         json{{"group", group}}.dump()));
    return true;
  });
}

Result<std::vector<ReleaseSubscription>> SqlStore::release_subscriptions(std::int64_t release_id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ReleaseSubscription>> {
    RELMAN_CHECK(require_release(c, release_id));
    return subscriptions_of(c, release_id);
  });
}

}  // namespace relman::controller
