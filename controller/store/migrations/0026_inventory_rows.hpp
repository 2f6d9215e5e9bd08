// Migration 26 (inventory): a host's dpkg, rpm and relman items can live in their
// inventory_installed rows (line: the item's "<key>\t<item>" line, as a collection part holds it;
// controller/inventory/stored_inventory.hpp) instead of in collection parts as well, so a delta
// reads and rewrites the rows of the items it changes and no parts for them
// (docs/benchmarks.md). hosts.inventory_layout says where the host's software items are: 0 in
// parts (every host stored before; its rows' lines are not read), 1 in the rows. A host moves
// to 1 at its next full report, so no data has to be moved here.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0026InventoryRows{
    .version = 26,
    .name = "inventory_rows",
    .sql = R"sql(
ALTER TABLE hosts ADD COLUMN inventory_layout INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory_installed ADD COLUMN line TEXT;
)sql",
};

}  // namespace relman::controller::migrations
