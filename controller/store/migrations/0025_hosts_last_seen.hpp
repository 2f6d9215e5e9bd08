// Migration 25 (inventory): drops the index on hosts(connected, last_seen) that migration 20
// added. No query reads through it (GET /hosts?stale= filters as it walks the hosts in agent
// order, one row per host), and every report moved the host's entry in it: two of the
// pages each inventory delta writes (docs/benchmarks.md).
#pragma once

#include "controller/store/sql/migrate.hpp"

namespace relman::controller::migrations {

inline constexpr sql::Migration k0025HostsLastSeen{
    .version = 25,
    .name = "hosts_last_seen",
    .sql = R"sql(
DROP INDEX IF EXISTS hosts_last_seen;
)sql",
};

}  // namespace relman::controller::migrations
