// Every schema migration, in increasing number order. A domain adds its file (NNNN_name.hpp,
// with a number from its block: controller/store/README.md) and one line here.
#pragma once

#include <vector>

#include "controller/store/migrations/0001_initial.hpp"
#include "controller/store/migrations/0002_access.hpp"
#include "controller/store/migrations/0003_release_records.hpp"
#include "controller/store/migrations/0005_release_attachments.hpp"
#include "controller/store/migrations/0006_package_lifecycle.hpp"
#include "controller/store/migrations/0007_execution_notes.hpp"
#include "controller/store/migrations/0008_release_types.hpp"
#include "controller/store/migrations/0010_installer_progress.hpp"
#include "controller/store/migrations/0020_inventory_hash.hpp"
#include "controller/store/migrations/0021_inventory_reconcile.hpp"
#include "controller/store/migrations/0022_software_policies.hpp"
#include "controller/store/migrations/0023_inventory_collections.hpp"
#include "controller/store/migrations/0024_inventory_installed.hpp"
#include "controller/store/migrations/0025_hosts_last_seen.hpp"
#include "controller/store/migrations/0026_inventory_rows.hpp"
#include "controller/store/migrations/0030_rollouts.hpp"
#include "controller/store/migrations/0040_cmdb.hpp"
#include "controller/store/migrations/0041_inventory_edges_out.hpp"
#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline const std::vector<sql::Migration> kAll = {
    k0001Initial,
    k0002Access,
    k0003ReleaseRecords,
    k0005ReleaseAttachments,
    k0006PackageLifecycle,
    k0007ExecutionNotes,
    k0008ReleaseTypes,
    k0010InstallerProgress,
    k0020InventoryHash,
    k0021InventoryReconcile,
    k0022SoftwarePolicies,
    k0023InventoryCollections,
    k0024InventoryInstalled,
    k0025HostsLastSeen,
    k0026InventoryRows,
    k0030Rollouts,
    k0040Cmdb,
    k0041InventoryEdgesOut,
};

}  // namespace relman::controller::migrations
