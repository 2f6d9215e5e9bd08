// Migration 23 (inventory): a host's last report is kept as a skeleton (hosts.inventory_json,
// with a placeholder where each keyed collection was) plus its collections' items as lines, in
// up to 64 parts per collection (controller/inventory/stored_inventory.hpp), so a delta reads
// and writes only the parts holding the items it changes. Reports stored before stay whole in
// hosts.inventory_json and read back as they are; the next delta on one is refused (it names no
// stored collection, or its hash differs) and the agent sends a full report, which is stored the
// new way.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0023InventoryCollections{
    .version = 23,
    .name = "inventory_collections",
    .sql = R"sql(
CREATE TABLE inventory_collections (
  agent_id TEXT NOT NULL REFERENCES hosts(agent_id),
  path TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  items TEXT NOT NULL,
  PRIMARY KEY (agent_id, path, bucket)
);
)sql",
};

}  // namespace relman::controller::migrations
