// Migration 41 (CMDB): the installed_on relationships that inventory reports wrote (created by
// "inventory:<report hash>", from an inventory software CI) move to inventory_installed
// (migration 24, which always runs before this one), where reports keep them now. Relationships
// that people recorded stay.
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0041InventoryEdgesOut{
    .version = 41,
    .name = "inventory_edges_out",
    .sql = R"sql(
INSERT INTO inventory_installed(host_ci_id, software_ci_id, since)
  SELECT r.to_id, r.from_id, r.created_at FROM cmdb_relationships r
  JOIN inventory_software s ON s.ci_id = r.from_id
  WHERE r.type = 'installed_on' AND r.created_by LIKE 'inventory:%';
DELETE FROM cmdb_relationships WHERE type = 'installed_on' AND created_by LIKE 'inventory:%'
  AND from_id IN (SELECT ci_id FROM inventory_software);
)sql",
};

}  // namespace relman::controller::migrations
