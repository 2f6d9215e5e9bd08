// SqlStore: the CMDB's classes, CIs and their versions. Every change runs controller/cmdb's
// rules inside its transaction, stores the new version whole (a restore point) and appends
// its audit entry with the state before and after.
#include "controller/store/sql_store.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

#include "controller/cmdb/lifecycle.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
using nlohmann::json;

namespace store_sql {
namespace {
constexpr const char* kCiColumns =
    "id, class, name, attributes_json, stage, owner_group, criticality, version, "
    "COALESCE(source_key, ''), created_by, created_at, updated_by, updated_at";

json parse_attributes(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();
}

// name, attributes_json, stage, owner_group, criticality from column `c` on.
cmdb::CiState read_state(const sql::Statement& st, int c) {
  return cmdb::CiState{st.text(c), parse_attributes(st.text(c + 1)), st.text(c + 2), st.text(c + 3),
                       st.text(c + 4)};
}

cmdb::CiRecord read_ci(const sql::Statement& st) {
  cmdb::CiRecord r;
  r.id = st.int64(0);
  r.class_name = st.text(1);
  r.state = read_state(st, 2);
  r.version = st.int64(7);
  r.source_key = st.text(8);
  r.created_by = st.text(9);
  r.created_at = st.int64(10);
  r.updated_by = st.text(11);
  r.updated_at = st.int64(12);
  return r;
}

constexpr const char* kVersionColumns =
    "ci_id, version, name, attributes_json, stage, owner_group, criticality, change_kind, "
    "restored_from, changed_by, changed_at";

cmdb::CiVersionRecord read_version(const sql::Statement& st) {
  cmdb::CiVersionRecord v;
  v.ci_id = st.int64(0);
  v.version = st.int64(1);
  v.state = read_state(st, 2);
  v.change = st.text(7);
  v.restored_from = st.int64(8);
  v.changed_by = st.text(9);
  v.changed_at = st.int64(10);
  return v;
}

Result<std::optional<cmdb::CiVersionRecord>> version_of(sql::Connection& c, std::int64_t ci_id,
                                                        std::int64_t version) {
  RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kVersionColumns +
                           " FROM cmdb_ci_versions WHERE ci_id = ? AND version = ?"));
  st.bind(1, ci_id).bind(2, version);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<cmdb::CiVersionRecord>();
  return std::optional<cmdb::CiVersionRecord>(read_version(st));
}

json audit_detail(std::int64_t version, const cmdb::CiState* before, const cmdb::CiState& after) {
  json j{{"version", version}, {"after", cmdb::to_json(after)}};
  if (before) j["before"] = cmdb::to_json(*before);
  return j;
}
}  // namespace

Result<std::optional<cmdb::CiRecord>> load_ci(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kCiColumns + " FROM cmdb_cis WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<cmdb::CiRecord>();
  return std::optional<cmdb::CiRecord>(read_ci(st));
}

Result<std::optional<cmdb::CiRecord>> load_ci_by_source(sql::Connection& c,
                                                        const std::string& source_key) {
  RELMAN_TRY(
      st, c.prepare(std::string("SELECT ") + kCiColumns + " FROM cmdb_cis WHERE source_key = ?"));
  st.bind(1, source_key);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<cmdb::CiRecord>();
  return std::optional<cmdb::CiRecord>(read_ci(st));
}

Result<cmdb::CiRecord> require_ci(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(ci, load_ci(c, id));
  if (!ci) return fail("cmdb.ci_not_found", "no CI with this id", std::to_string(id));
  return std::move(*ci);
}

Result<std::optional<cmdb::CiClass>> load_class(sql::Connection& c, const std::string& name) {
  for (const auto& b : cmdb::builtin_classes()) {
    if (b.name == name) return std::optional<cmdb::CiClass>(b);
  }
  RELMAN_TRY(st, c.prepare("SELECT schema_json FROM cmdb_classes WHERE name = ?"));
  st.bind(1, name);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<cmdb::CiClass>();
  auto doc = json::parse(st.text(0), nullptr, false);
  auto cls = cmdb::class_from_json(doc);
  if (!cls) {
    return fail("store.corrupt", "the stored schema of class '" + name +
                                     "' does not parse: " + cls.error().describe());
  }
  return std::optional<cmdb::CiClass>(std::move(*cls));
}

Result<void> insert_version(sql::Connection& c, std::int64_t ci_id, std::int64_t version,
                            const cmdb::CiState& s, const std::string& change,
                            std::int64_t restored_from, const std::string& actor,
                            std::int64_t now) {
  RELMAN_TRY(st, c.prepare("INSERT INTO cmdb_ci_versions(ci_id, version, name, attributes_json, "
                           "stage, owner_group, criticality, change_kind, restored_from, "
                           "changed_by, changed_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return st.bind(1, ci_id)
      .bind(2, version)
      .bind(3, s.name)
      .bind(4, s.attributes.dump())
      .bind(5, s.stage)
      .bind(6, s.owner_group)
      .bind(7, s.criticality)
      .bind(8, change)
      .bind(9, restored_from)
      .bind(10, actor)
      .bind(11, now)
      .run();
}

Result<cmdb::CiRecord> insert_ci(sql::Connection& c, const std::string& class_name,
                                 const cmdb::CiState& s, const std::string& source_key,
                                 const std::string& change, const std::string& actor) {
  const auto now = unix_seconds();
  RELMAN_TRY(st, c.prepare("INSERT INTO cmdb_cis(class, name, attributes_json, stage, "
                           "owner_group, criticality, version, source_key, created_by, "
                           "created_at, updated_by, updated_at) "
                           "VALUES(?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id"));
  st.bind(1, class_name)
      .bind(2, s.name)
      .bind(3, s.attributes.dump())
      .bind(4, s.stage)
      .bind(5, s.owner_group)
      .bind(6, s.criticality);
  if (source_key.empty()) {
    st.bind_null(7);
  } else {
    st.bind(7, source_key);
  }
  st.bind(8, actor).bind(9, now).bind(10, actor).bind(11, now);
  RELMAN_CHECK(st.step());
  std::int64_t id = st.int64(0);
  RELMAN_CHECK(st.run());
  RELMAN_CHECK(insert_version(c, id, 1, s, change, 0, actor, now));
  json detail = audit_detail(1, nullptr, s);
  detail["class"] = class_name;
  RELMAN_CHECK(append_audit(c, actor, "ci.create", "ci", std::to_string(id), detail.dump()));
  // The row as written (read_ci would give the same back: a report creates thousands of CIs).
  cmdb::CiRecord made;
  made.id = id;
  made.class_name = class_name;
  made.state = s;
  if (!made.state.attributes.is_object()) made.state.attributes = json::object();
  made.version = 1;
  made.source_key = source_key;
  made.created_by = actor;
  made.created_at = now;
  made.updated_by = actor;
  made.updated_at = now;
  return made;
}

Result<cmdb::CiRecord> write_ci_version(sql::Connection& c, const cmdb::CiRecord& current,
                                        const cmdb::CiState& next, const std::string& change,
                                        std::int64_t restored_from, const std::string& actor,
                                        const json& cause) {
  const auto now = unix_seconds();
  const std::int64_t version = current.version + 1;
  RELMAN_TRY(st, c.prepare("UPDATE cmdb_cis SET name = ?, attributes_json = ?, stage = ?, "
                           "owner_group = ?, criticality = ?, version = ?, updated_by = ?, "
                           "updated_at = ? WHERE id = ? AND version = ?"));
  st.bind(1, next.name)
      .bind(2, next.attributes.dump())
      .bind(3, next.stage)
      .bind(4, next.owner_group)
      .bind(5, next.criticality)
      .bind(6, version)
      .bind(7, actor)
      .bind(8, now)
      .bind(9, current.id)
      .bind(10, current.version);
  RELMAN_CHECK(st.run());
  if (st.changes() != 1) {
    return fail("cmdb.version_conflict",
                "the CI changed while this change was being made; "
                "read it again and retry",
                std::to_string(current.id));
  }
  RELMAN_CHECK(insert_version(c, current.id, version, next, change, restored_from, actor, now));
  json detail = audit_detail(version, &current.state, next);
  if (restored_from != 0) detail["restored_from"] = restored_from;
  detail["change"] = change;
  if (!cause.is_null()) detail["cause"] = cause;
  RELMAN_CHECK(append_audit(c, actor, change == "restore" ? "ci.restore" : "ci.update", "ci",
                            std::to_string(current.id), detail.dump()));
  cmdb::CiRecord written = current;  // the row as the UPDATE left it
  written.state = next;
  if (!written.state.attributes.is_object()) written.state.attributes = json::object();
  written.version = version;
  written.updated_by = actor;
  written.updated_at = now;
  return written;
}

}  // namespace store_sql

// ---- classes ----

Result<std::vector<cmdb::CiClass>> SqlStore::list_ci_classes() {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<cmdb::CiClass>> {
    std::vector<cmdb::CiClass> out = cmdb::builtin_classes();
    RELMAN_TRY(st, c.prepare("SELECT name FROM cmdb_classes ORDER BY name"));
    RELMAN_TRY(names, store_sql::collect<std::string>(
                          st, [](const sql::Statement& r) { return r.text(0); }));
    for (const auto& n : names) {
      RELMAN_TRY(cls, store_sql::load_class(c, n));
      if (cls) out.push_back(std::move(*cls));
    }
    return out;
  });
}

Result<std::optional<cmdb::CiClass>> SqlStore::get_ci_class(const std::string& name) {
  return sql::read(*pool_, [&](sql::Connection& c) { return store_sql::load_class(c, name); });
}

Result<cmdb::CiClass> SqlStore::create_ci_class(const cmdb::CiClass& cls,
                                                const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<cmdb::CiClass> {
    RELMAN_TRY(existing, store_sql::load_class(c, cls.name));
    if (existing) {
      return fail("cmdb.class_exists", "a class named '" + cls.name + "' exists already", cls.name);
    }
    json schema = cmdb::to_json(cls);
    schema.erase("builtin");
    RELMAN_TRY(st, c.prepare("INSERT INTO cmdb_classes(name, schema_json, created_by, "
                             "created_at) VALUES(?, ?, ?, ?)"));
    RELMAN_CHECK(
        st.bind(1, cls.name).bind(2, schema.dump()).bind(3, actor).bind(4, unix_seconds()).run());
    RELMAN_CHECK(
        store_sql::append_audit(c, actor, "ci_class.create", "ci_class", cls.name, schema.dump()));
    cmdb::CiClass stored = cls;
    stored.builtin = false;
    return stored;
  });
}

// ---- CIs ----

Result<cmdb::CiRecord> SqlStore::create_ci(const cmdb::CiDraft& d, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<cmdb::CiRecord> {
    RELMAN_TRY(cls, store_sql::load_class(c, d.class_name));
    if (!cls) {
      return fail("cmdb.unknown_class",
                  "no CI class named '" + d.class_name + "' (GET /api/v1/cmdb/classes lists them)",
                  "class");
    }
    RELMAN_CHECK(cmdb::check_new_ci(*cls, d.state));
    return store_sql::insert_ci(c, d.class_name, d.state, "", "create", actor);
  });
}

Result<std::optional<cmdb::CiRecord>> SqlStore::get_ci(std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) { return store_sql::load_ci(c, id); });
}

Result<std::vector<cmdb::CiRecord>> SqlStore::list_cis(const cmdb::CiFilter& f, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<cmdb::CiRecord>> {
    // Each filter is "?N IS NULL OR column matches ?N", so one statement serves them all.
    std::string sql = std::string("SELECT ") + store_sql::kCiColumns +
                      " FROM cmdb_cis WHERE (CAST(?1 AS TEXT) IS NULL OR class = ?1) AND "
                      "(CAST(?2 AS TEXT) IS NULL OR stage = ?2) AND (CAST(?3 AS TEXT) IS NULL OR "
                      "owner_group = ?3) AND "
                      "(CAST(?4 AS TEXT) IS NULL OR LOWER(name) LIKE ?4 ESCAPE '\\') "
                      "ORDER BY id LIMIT ?5 OFFSET ?6";
    RELMAN_TRY(st, c.prepare(sql));
    auto bind_opt = [&](int i, const std::optional<std::string>& v) {
      if (v) {
        st.bind(i, *v);
      } else {
        st.bind_null(i);
      }
    };
    bind_opt(1, f.class_name);
    bind_opt(2, f.stage);
    bind_opt(3, f.owner_group);
    std::optional<std::string> like;
    if (f.q) {
      std::string pattern = "%";
      for (char ch : *f.q) {
        if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
        pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      like = pattern + "%";
    }
    bind_opt(4, like);
    st.bind(5, store_sql::clamp_limit(page.limit)).bind(6, page.offset);
    return store_sql::collect<cmdb::CiRecord>(st, store_sql::read_ci);
  });
}

Result<cmdb::CiRecord> SqlStore::update_ci(std::int64_t id, const cmdb::CiPatch& patch,
                                           const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<cmdb::CiRecord> {
    RELMAN_TRY(ci, store_sql::require_ci(c, id));
    if (ci.version != patch.expected_version) {
      return fail("cmdb.version_conflict",
                  "the CI is at version " + std::to_string(ci.version) + ", not " +
                      std::to_string(patch.expected_version) + ": read it again and retry",
                  std::to_string(id));
    }
    RELMAN_TRY(cls, store_sql::load_class(c, ci.class_name));
    if (!cls) return fail("store.corrupt", "the CI's class is gone", ci.class_name);
    RELMAN_TRY(next, cmdb::apply_patch(*cls, ci.state, patch));
    if (next == ci.state) return ci;  // nothing changes: no new version
    return store_sql::write_ci_version(c, ci, next, "update", 0, actor);
  });
}

Result<std::vector<cmdb::CiVersionRecord>> SqlStore::ci_history(std::int64_t id, const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<cmdb::CiVersionRecord>> {
    RELMAN_CHECK(store_sql::require_ci(c, id));
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + store_sql::kVersionColumns +
                             " FROM cmdb_ci_versions WHERE ci_id = ? ORDER BY version DESC "
                             "LIMIT ? OFFSET ?"));
    st.bind(1, id).bind(2, store_sql::clamp_limit(page.limit)).bind(3, page.offset);
    return store_sql::collect<cmdb::CiVersionRecord>(st, store_sql::read_version);
  });
}

Result<cmdb::CiRecord> SqlStore::restore_ci(std::int64_t id, std::int64_t version,
                                            std::optional<std::int64_t> expected_version,
                                            const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<cmdb::CiRecord> {
    RELMAN_TRY(ci, store_sql::require_ci(c, id));
    if (expected_version && ci.version != *expected_version) {
      return fail("cmdb.version_conflict",
                  "the CI is at version " + std::to_string(ci.version) + ", not " +
                      std::to_string(*expected_version) + ": read it again and retry",
                  std::to_string(id));
    }
    RELMAN_TRY(target, store_sql::version_of(c, id, version));
    if (!target) {
      return fail("cmdb.version_not_found",
                  "CI " + std::to_string(id) + " has no version " + std::to_string(version),
                  std::to_string(version));
    }
    RELMAN_TRY(cls, store_sql::load_class(c, ci.class_name));
    if (!cls) return fail("store.corrupt", "the CI's class is gone", ci.class_name);
    RELMAN_CHECK(cmdb::check_restore(*cls, ci.state, target->state));
    return store_sql::write_ci_version(c, ci, target->state, "restore", version, actor);
  });
}

}  // namespace relman::controller
