// SqlStore: the records of files attached to releases (the bytes are in the AttachmentStore).
#include <nlohmann/json.hpp>

#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {

constexpr const char* kColumns =
    "id, release_id, name, sha256, size, media_type, added_by, added_at";

AttachmentRecord read_attachment(const sql::Statement& st) {
  return AttachmentRecord{st.int64(0), st.int64(1), st.text(2), st.text(3),
                          st.int64(4), st.text(5),  st.text(6), st.int64(7)};
}

Result<std::optional<AttachmentRecord>> first(sql::Statement& st) {
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<AttachmentRecord>();
  return std::optional<AttachmentRecord>(read_attachment(st));
}

}  // namespace

Result<AttachmentRecord> SqlStore::add_attachment(const AttachmentRecord& a,
                                                  const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<AttachmentRecord> {
    RELMAN_TRY(release, c.prepare("SELECT id FROM releases WHERE id = ?"));
    release.bind(1, a.release_id);
    RELMAN_TRY(found, release.step());
    if (!found) {
      return fail("release.not_found", "no release with this id", std::to_string(a.release_id));
    }
    RELMAN_TRY(same, c.prepare("SELECT id FROM release_attachments WHERE release_id = ? AND "
                               "name = ?"));
    same.bind(1, a.release_id).bind(2, a.name);
    RELMAN_TRY(taken, same.step());
    if (taken) {
      return fail("attachment.exists",
                  "this release has an attachment named '" + a.name +
                      "' already; attachments are kept as they are, use another name",
                  "name");
    }
    AttachmentRecord rec = a;
    rec.added_by = actor;
    rec.added_at = unix_seconds();
    RELMAN_TRY(st, c.prepare("INSERT INTO release_attachments(release_id, name, sha256, size, "
                             "media_type, added_by, added_at) VALUES(?, ?, ?, ?, ?, ?, ?) "
                             "RETURNING id"));
    st.bind(1, rec.release_id)
        .bind(2, rec.name)
        .bind(3, rec.sha256)
        .bind(4, rec.size)
        .bind(5, rec.media_type)
        .bind(6, rec.added_by)
        .bind(7, rec.added_at);
    RELMAN_CHECK(st.step());
    rec.id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_CHECK(store_sql::append_audit(c, actor, "release.attachment_add", "release",
                                         std::to_string(rec.release_id),
                                         nlohmann::json{{"attachment_id", rec.id},
                                                        {"name", rec.name},
                                                        {"sha256", rec.sha256},
                                                        {"size", rec.size},
                                                        {"media_type", rec.media_type}}
                                             .dump()));
    return rec;
  });
}

Result<std::vector<AttachmentRecord>> SqlStore::list_attachments(std::int64_t release_id,
                                                                 const Page& page) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::vector<AttachmentRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kColumns +
                             " FROM release_attachments WHERE release_id = ? ORDER BY id "
                             "LIMIT ? OFFSET ?"));
    st.bind(1, release_id).bind(2, store_sql::clamp_limit(page.limit)).bind(3, page.offset);
    return store_sql::collect<AttachmentRecord>(st, read_attachment);
  });
}

Result<std::optional<AttachmentRecord>> SqlStore::get_attachment(std::int64_t release_id,
                                                                 std::int64_t id) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<AttachmentRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kColumns +
                             " FROM release_attachments WHERE release_id = ? AND id = ?"));
    st.bind(1, release_id).bind(2, id);
    return first(st);
  });
}

Result<std::optional<AttachmentRecord>> SqlStore::find_attachment(std::int64_t release_id,
                                                                  const std::string& name) {
  return sql::read(*pool_, [&](sql::Connection& c) -> Result<std::optional<AttachmentRecord>> {
    RELMAN_TRY(st, c.prepare(std::string("SELECT ") + kColumns +
                             " FROM release_attachments WHERE release_id = ? AND name = ?"));
    st.bind(1, release_id).bind(2, name);
    return first(st);
  });
}

}  // namespace relman::controller
