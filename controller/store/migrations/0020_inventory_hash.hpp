// Migration 20 (inventory): the hash of a host's stored inventory report names the base of
// the agent's next delta, and when it was stored; stale hosts are found by last_seen.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0020InventoryHash{
    .version = 20,
    .name = "inventory_hash",
    .sql = R"sql(
ALTER TABLE hosts ADD COLUMN inventory_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN inventory_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX hosts_last_seen ON hosts(connected, last_seen);
)sql",
};

}  // namespace relman::controller::migrations
