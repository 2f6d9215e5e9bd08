// SqlStore: release records (ReleaseStore). The searchable fields are columns; the whole
// descriptive and lifecycle fields are JSON beside them, written together in one statement.
// A change re-reads the release inside its transaction, lets the caller decide, writes only if
// the version is still the one read and appends the audit entry with it.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <variant>

#include <nlohmann/json.hpp>

#include "controller/releases/release_codec.hpp"
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr const char* kColumns =
    "SELECT id, number, priority, created_by, created_at, updated_at, version, fields_json, "
    "lifecycle_json, title, description, state FROM releases";

// Rows from before migration 3 have '' in fields_json and lifecycle_json: their fields are
// the old columns, their lifecycle what registering gave then.
Result<ReleaseRecord> read_release(const sql::Statement& st) {
  ReleaseRecord r;
  r.id = st.int64(0);
  r.number = st.text(1);
  r.priority = static_cast<int>(st.int64(2));
  r.created_by = st.text(3);
  r.created_at = st.int64(4);
  r.updated_at = st.int64(5);
  const std::string fields_json = st.text(7);
  if (fields_json.empty()) {
    r.fields.title = st.text(9);
    r.fields.description = st.text(10);
  } else {
    auto fields = parse_create_release(json::parse(fields_json, nullptr, false));
    if (!fields) {
      return fail("release.invalid_state",
                  "stored fields of release " + r.number +
                      " do not read back: " + fields.error().describe(),
                  r.number);
    }
    r.fields = std::move(fields->fields);
  }
  const std::string lifecycle_json = st.text(8);
  if (lifecycle_json.empty()) {
    auto state = parse_lifecycle_state(st.text(11));
    if (!state) return fail("release.invalid_state", "unknown state " + st.text(11), r.number);
    r.lifecycle.state = *state;
    r.lifecycle.requester = r.created_by;
    r.lifecycle.current_responsible = Principal{PrincipalKind::user, r.created_by};
  } else {
    RELMAN_TRY(lifecycle, lifecycle_from_json(json::parse(lifecycle_json, nullptr, false)));
    r.lifecycle = std::move(lifecycle);
  }
  r.lifecycle.version = st.int64(6);  // the column is the lock
  return r;
}

Result<std::optional<ReleaseRecord>> release_by_id(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare(std::string(kColumns) + " WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<ReleaseRecord>();
  RELMAN_TRY(r, read_release(st));
  RELMAN_CHECK(st.run());
  return std::optional<ReleaseRecord>(std::move(r));
}

Result<std::vector<ReleaseRecord>> read_releases(sql::Statement& st) {
  std::vector<ReleaseRecord> out;
  for (;;) {
    RELMAN_TRY(row, st.step());
    if (!row) return out;
    RELMAN_TRY(r, read_release(st));
    out.push_back(std::move(r));
  }
}

json audit_view(const ReleaseRecord& r) {
  return json{{"priority", r.priority},
              {"fields", to_json(r.fields)},
              {"lifecycle", lifecycle_to_json(r.lifecycle)}};
}

// Writes `r` over the row if its version is still `expected_version`.
Result<void> write_release(sql::Connection& c, const ReleaseRecord& r,
                           std::int64_t expected_version) {
  RELMAN_TRY(st, c.prepare("UPDATE releases SET title = ?, description = ?, state = ?, "
                           "version = ?, requester = ?, executor_group = ?, priority = ?, "
                           "fields_json = ?, lifecycle_json = ?, updated_at = ? "
                           "WHERE id = ? AND version = ?"));
  st.bind(1, r.fields.title)
      .bind(2, r.fields.description)
      .bind(3, lifecycle_state_name(r.lifecycle.state))
      .bind(4, r.lifecycle.version)
      .bind(5, r.lifecycle.requester)
      .bind(6, r.lifecycle.executor_group)
      .bind(7, r.priority)
      .bind(8, to_json(r.fields).dump())
      .bind(9, lifecycle_to_json(r.lifecycle).dump())
      .bind(10, unix_seconds())
      .bind(11, r.id)
      .bind(12, expected_version);
  RELMAN_CHECK(st.run());
  if (st.changes() != 1) {
    return fail("release.version_conflict",
                "the release changed since you read it; reload it and try again", "version");
  }
  return ok();
}

// LIKE pattern for a lower-cased substring, with the wildcards in the text escaped.
std::string like_pattern(const std::string& text) {
  std::string p = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') p.push_back('\\');
    p.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return p + "%";
}

// The WHERE clause for a query and its values, in the order of its '?'s.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> values;

  // Every '?' in `clause` stands for `v` (numbered ?N, so it may appear more than once).
  void add(const std::string& clause, std::variant<std::string, std::int64_t> v) {
    values.push_back(std::move(v));
    const std::string self = "?" + std::to_string(values.size());
    sql += sql.empty() ? " WHERE " : " AND ";
    for (char ch : clause) {
      if (ch == '?') {
        sql += self;
      } else {
        sql.push_back(ch);
      }
    }
  }
  // Binds the values from parameter 1; returns the next free parameter number.
  int bind(sql::Statement& st) const {
    int at = 1;
    for (const auto& v : values) {
      std::visit([&](const auto& x) { st.bind(at, x); }, v);
      ++at;
    }
    return at;
  }
};

Where where_for(const ReleaseQuery& q) {
  Where w;
  if (q.state) w.add("state = ?", std::string(lifecycle_state_name(*q.state)));
  if (q.priority) w.add("priority = ?", std::int64_t{*q.priority});
  if (!q.executor_group.empty()) w.add("executor_group = ?", q.executor_group);
  if (!q.requester.empty()) w.add("requester = ?", q.requester);
  if (q.from) w.add("created_at >= ?", *q.from);
  if (q.to) w.add("created_at <= ?", *q.to);
  if (!q.text.empty()) {
    // ASCII case folding on both sides: SQLite's LIKE folds ASCII, PostgreSQL's folds nothing.
    w.add(
        "(LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE '\\' OR "
        "LOWER(number) LIKE ? ESCAPE '\\')",
        like_pattern(q.text));
  }
  return w;
}

// A type a release is given (on creation, or changed by an update) must exist; a type
// the release had before migration 8 and keeps is not checked.
Result<void> check_type_exists(sql::Connection& c, const std::string& type) {
  if (type.empty()) return ok();
  RELMAN_TRY(t, store_sql::load_release_type(c, type));
  if (!t) {
    return fail("release.unknown_type", "no release type with this name (GET /release-types)",
                type);
  }
  return ok();
}

}  // namespace

Result<ReleaseRecord> SqlStore::register_release(const ReleaseRecord& draft,
                                                 const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ReleaseRecord> {
    // Numbers count releases: two controllers racing for the same number conflict on the
    // UNIQUE column and one of them is retried (PostgreSQL) or waits (SQLite).
    RELMAN_TRY(next, c.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM releases"));
    RELMAN_CHECK(next.step());
    char number[32];
    std::snprintf(number, sizeof number, "REL-%06lld", static_cast<long long>(next.int64(0)));
    RELMAN_CHECK(next.run());
    RELMAN_CHECK(check_type_exists(c, draft.fields.type));
    ReleaseRecord r = draft;
    r.lifecycle.version = 1;
    r.lifecycle.state = LifecycleState::registered;
    const auto now = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO releases(number, title, description, state, "
                             "created_by, created_at, updated_at, version, requester, "
                             "executor_group, priority, fields_json, lifecycle_json) "
                             "VALUES(?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id"));
    st.bind(1, number)
        .bind(2, r.fields.title)
        .bind(3, r.fields.description)
        .bind(4, lifecycle_state_name(r.lifecycle.state))
        .bind(5, actor)
        .bind(6, now)
        .bind(7, now)
        .bind(8, r.lifecycle.requester)
        .bind(9, r.lifecycle.executor_group)
        .bind(10, r.priority)
        .bind(11, to_json(r.fields).dump())
        .bind(12, lifecycle_to_json(r.lifecycle).dump());
    RELMAN_CHECK(st.step());
    const std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(stored, release_by_id(c, id));
    if (!stored) return fail("store.query_failed", "the new release row is missing");
    RELMAN_TRY(notification, store_sql::release_notification(c, nullptr, *stored, "create", actor));
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release.create", "release", std::to_string(id),
                                         json{{"number", number},
                                              {"title", stored->fields.title},
                                              {"after", audit_view(*stored)},
                                              {"notification", std::move(notification)}}
                                             .dump()));
    return std::move(*stored);
  });
}

Result<std::optional<ReleaseRecord>> SqlStore::get_release(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return release_by_id(c, id); });
}

namespace {
// The release's linked CIs that are in development move to production (the release that
// built them is closed); others stay as they are. Returns [{id, from, to}] or, for a linked
// id that is not in the CMDB, [{id, missing: true}].
Result<json> promote_linked_cis(sql::Connection& c, const ReleaseRecord& r,
                                const std::string& actor) {
  json out = json::array();
  for (std::int64_t ci_id : r.fields.linked_cis) {
    RELMAN_TRY(ci, store_sql::load_ci(c, ci_id));
    if (!ci) {
      out.push_back({{"id", ci_id}, {"missing", true}});
      continue;
    }
    if (ci->state.stage != "development") continue;
    cmdb::CiState next = ci->state;
    next.stage = "production";
    RELMAN_CHECK(store_sql::write_ci_version(
        c, *ci, next, "promote", 0, actor,
        json{{"release_id", r.id}, {"release", r.number}, {"action", "close"}}));
    out.push_back({{"id", ci_id}, {"from", "development"}, {"to", "production"}});
  }
  return out;
}
}  // namespace

Result<ReleaseRecord> SqlStore::change_release(std::int64_t id, const std::string& action,
                                               const ReleaseChangeFn& change,
                                               const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ReleaseRecord> {
    RELMAN_TRY(current, release_by_id(c, id));
    if (!current) return fail("release.not_found", "no release with this id", std::to_string(id));
    const ReleaseRecord& before = *current;
    RELMAN_TRY(decided, change(before));
    ReleaseRecord next = std::move(decided.next);
    next.id = before.id;
    next.number = before.number;
    next.created_by = before.created_by;
    next.created_at = before.created_at;
    if (next.lifecycle.version != before.lifecycle.version + 1) {
      return fail("release.version_conflict", "a change must bump the release's version by one",
                  "version");
    }
    if (next.fields.type != before.fields.type) {
      RELMAN_CHECK(check_type_exists(c, next.fields.type));
    }
    RELMAN_CHECK(write_release(c, next, before.lifecycle.version));
    RELMAN_TRY(after, release_by_id(c, id));
    if (!after) return fail("store.query_failed", "the release row is missing");
    json detail = decided.audit_detail;
    if (decided.promote_linked_cis) {
      RELMAN_TRY(promoted, promote_linked_cis(c, next, actor));
      detail["promoted_cis"] = std::move(promoted);
    }
    detail["number"] = before.number;
    detail["before"] = audit_view(before);
    detail["after"] = audit_view(*after);
    // Lifecycle transitions are notifications; edits of the fields are only audited.
    if (parse_lifecycle_action(action)) {
      RELMAN_TRY(notification, store_sql::release_notification(c, &before, *after, action, actor));
      detail["notification"] = std::move(notification);
    }
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release." + action, "release",
                                         std::to_string(id), detail.dump()));
    return std::move(*after);
  });
}

Result<std::vector<ReleaseRecord>> SqlStore::search_releases(const ReleaseQuery& query,
                                                             const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ReleaseRecord>> {
    const Where w = where_for(query);
    const int n = static_cast<int>(w.values.size());
    RELMAN_TRY(st, c.prepare(std::string(kColumns) + w.sql + " ORDER BY id DESC LIMIT ?" +
                             std::to_string(n + 1) + " OFFSET ?" + std::to_string(n + 2)));
    const int at = w.bind(st);
    st.bind(at, store_sql::clamp_limit(page.limit)).bind(at + 1, page.offset);
    return read_releases(st);
  });
}

Result<std::vector<ReleaseCount>> SqlStore::count_releases(const ReleaseQuery& query,
                                                           ReleaseCountKey by) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ReleaseCount>> {
    const char* column = by == ReleaseCountKey::state      ? "state"
                         : by == ReleaseCountKey::priority ? "priority"
                                                           : "executor_group";
    const Where w = where_for(query);
    RELMAN_TRY(st,
               c.prepare(std::string("SELECT CAST(") + column + " AS TEXT), COUNT(*) " +
                         "FROM releases" + w.sql + " GROUP BY " + column + " ORDER BY " + column));
    w.bind(st);
    RELMAN_TRY(out, store_sql::collect<ReleaseCount>(st, [](const sql::Statement& r) {
                 return ReleaseCount{r.text(0), r.int64(1)};
               }));
    // Text keys in byte order on both databases (priorities are ordered as numbers above).
    if (by != ReleaseCountKey::priority) {
      std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    }
    return out;
  });
}

Result<std::vector<AuditEntry>> SqlStore::release_history(std::int64_t id, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<AuditEntry>> {
    RELMAN_TRY(st, c.prepare(std::string(store_sql::kAuditColumns) +
                             "WHERE object_type = 'release' AND object_id = ? "
                             "ORDER BY id LIMIT ? OFFSET ?"));
    st.bind(1, std::to_string(id)).bind(2, store_sql::clamp_limit(page.limit)).bind(3, page.offset);
    return store_sql::collect<AuditEntry>(st, store_sql::read_audit);
  });
}

Result<ExecutionNote> SqlStore::add_execution_note(std::int64_t release_id,
                                                   const ExecutionNote& note,
                                                   const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<ExecutionNote> {
    RELMAN_TRY(release, release_by_id(c, release_id));
    if (!release) {
      return fail("release.not_found", "no release with this id", std::to_string(release_id));
    }
    const auto& life = release->lifecycle;
    if (!execution_open(life) || life.executions <= 0) {
      return fail("release.no_open_execution",
                  "release " + release->number + " is " +
                      std::string(lifecycle_state_name(life.state)) +
                      ": execution notes are written while an execution runs (in_execution, "
                      "in_test, homologation)",
                  "state");
    }
    RELMAN_TRY(count, c.prepare("SELECT COUNT(*) FROM release_execution_notes WHERE "
                                "release_id = ?"));
    count.bind(1, release_id);
    RELMAN_CHECK(count.step());
    if (count.int64(0) >= kMaxExecutionNotes) {
      return fail("release.too_many_notes",
                  "release " + release->number + " has " + std::to_string(kMaxExecutionNotes) +
                      " execution notes, the most one release keeps",
                  "description");
    }
    RELMAN_CHECK(count.run());
    ExecutionNote n = note;
    n.release_id = release_id;
    n.execution = life.executions;
    n.author = actor;
    n.at = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO release_execution_notes(release_id, execution, "
                             "author, at, minutes_spent, description) VALUES(?, ?, ?, ?, ?, ?) "
                             "RETURNING id"));
    st.bind(1, n.release_id)
        .bind(2, n.execution)
        .bind(3, n.author)
        .bind(4, n.at)
        .bind(5, n.minutes_spent)
        .bind(6, n.description);
    RELMAN_CHECK(st.step());
    n.id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release.execution_note", "release",
                                         std::to_string(release_id),
                                         json{{"note_id", n.id},
                                              {"execution", n.execution},
                                              {"minutes_spent", n.minutes_spent},
                                              {"description", n.description}}
                                             .dump()));
    return n;
  });
}

Result<std::vector<ExecutionNote>> SqlStore::list_execution_notes(std::int64_t release_id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<ExecutionNote>> {
    RELMAN_TRY(st, c.prepare("SELECT id, release_id, execution, author, at, minutes_spent, "
                             "description FROM release_execution_notes WHERE release_id = ? "
                             "ORDER BY id LIMIT ?"));
    st.bind(1, release_id).bind(2, kMaxExecutionNotes);
    return store_sql::collect<ExecutionNote>(st, [](const sql::Statement& row) {
      return ExecutionNote{row.int64(0), row.int64(1), row.int64(2), row.text(3),
                           row.int64(4), row.int64(5), row.text(6)};
    });
  });
}

}  // namespace relman::controller
