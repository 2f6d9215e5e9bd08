// SqlStore: the installed software that compliance with software policies is judged on. This
// is the only SQL that reads a host's installed software for compliance: a software CI
// (inventory_software, one per manager + name + architecture + version) related installed_on
// a host CI (cmdb_relationships). If inventory stores installed_on differently, adapt here.
#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"

namespace relman::controller {

Result<std::vector<inventory::InstalledPackage>> SqlStore::installed_packages(
    const std::vector<inventory::PackageKey>& packages) {
  return sql::read(
      *pool_, [&](sql::Connection& c) -> Result<std::vector<inventory::InstalledPackage>> {
        std::vector<inventory::InstalledPackage> out;
        // inventory_software's unique index leads with name; each software CI's hosts come from
        // the relationships' (from_id, type, to_id) index.
        RELMAN_TRY(st, c.prepare("SELECT r.to_id, s.version FROM inventory_software s "
                                 "JOIN cmdb_relationships r ON r.from_id = s.ci_id "
                                 "AND r.type = 'installed_on' "
                                 "WHERE s.name = ? AND s.manager = ? ORDER BY r.to_id, s.ci_id"));
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
