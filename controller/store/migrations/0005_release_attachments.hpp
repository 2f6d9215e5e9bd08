// Migration 5 (releases): files attached to a release. The bytes are kept by SHA-256 in the
// data directory (releases/attachment_store.hpp); a row says which release has them under
// which name. Attachments are never changed or removed through the API.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0005ReleaseAttachments{
    .version = 5,
    .name = "release_attachments",
    .sql = R"sql(
CREATE TABLE release_attachments (
  id {{id_pk}},
  release_id BIGINT NOT NULL REFERENCES releases(id),
  name TEXT NOT NULL {{sorted}},
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL CHECK (size > 0),
  media_type TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  UNIQUE (release_id, name)
);
CREATE INDEX release_attachments_sha256 ON release_attachments(sha256);
)sql",
};

}  // namespace relman::controller::migrations
