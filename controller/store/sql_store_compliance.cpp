// SqlStore: the installed software that compliance with software policies is judged on. This
// is the only SQL that reads a host's installed software for compliance: a software CI
// (inventory_software, one per manager + name + architecture + version) related installed_on
// a host CI (inventory_installed, migration 24). If inventory stores installed_on differently,
// adapt here.
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_cmdb.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {

Result<std::vector<inventory::InstalledPackage>> SqlStore::installed_packages(
    const std::vector<inventory::PackageKey>& packages) {
  return sql::read(
      *pool_, [&](sql::Connection& c) -> Result<std::vector<inventory::InstalledPackage>> {
        std::vector<inventory::InstalledPackage> out;
        // inventory_software's unique index leads with name; the hosts of its CIs as in
        // hosts_running (one primary-key probe per host CI on SQLite).
        RELMAN_TRY(st, c.prepare("SELECT h.id, s.version FROM cmdb_cis h "
                                 "CROSS JOIN inventory_installed i "
                                 "CROSS JOIN inventory_software s WHERE " +
                                 store_sql::agent_host_ci(c, "h") +
                                 " AND i.host_ci_id = h.id AND i.software_ci_id = s.ci_id "
                                 "AND i.software_ci_id IN (SELECT ci_id FROM inventory_software "
                                 "WHERE name = ? AND manager = ?) ORDER BY h.id, s.ci_id"));
        for (const auto& p : packages) {
          st.reset();
          st.bind(1, p.name).bind(2, p.manager);
          for (;;) {
            RELMAN_TRY(row, st.step());
            if (!row) break;
            if (out.size() == kMaxInstalledRows) {
              return fail("compliance.too_many_rows",
                          "the policies' packages are installed more than " +
                              std::to_string(kMaxInstalledRows) + " times",
                          p.manager + ":" + p.name);
            }
            out.push_back(inventory::InstalledPackage{st.int64(0), p.manager, p.name, st.text(1)});
          }
        }
        return out;
      });
}

}  // namespace relman::controller
