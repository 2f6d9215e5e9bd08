// SqlStore: software policies (migration 22). The compliance report's read of installed
// software is in sql_store_compliance.cpp.
#include <nlohmann/json.hpp>

#include "controller/store/sql_store.hpp"
#include "controller/store/sql_store_internal.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
using nlohmann::json;

namespace {
constexpr const char* kPolicySelect =
    "SELECT id, group_name, manager, package, min_version, note, created_by, created_at "
    "FROM software_policies ";

inventory::SoftwarePolicy read_policy(const sql::Statement& r) {
  inventory::SoftwarePolicy p;
  p.id = r.int64(0);
  p.rule.group = r.text(1);
  p.rule.manager = r.text(2);
  p.rule.package = r.text(3);
  if (!r.is_null(4)) p.rule.min_version = r.text(4);
  p.rule.note = r.text(5);
  p.created_by = r.text(6);
  p.created_at = r.int64(7);
  return p;
}

Result<std::optional<inventory::SoftwarePolicy>> policy_by_id(sql::Connection& c, std::int64_t id) {
  RELMAN_TRY(st, c.prepare(std::string(kPolicySelect) + "WHERE id = ?"));
  st.bind(1, id);
  RELMAN_TRY(row, st.step());
  if (!row) return std::optional<inventory::SoftwarePolicy>();
  return std::optional<inventory::SoftwarePolicy>(read_policy(st));
}

Result<std::int64_t> count(sql::Connection& c, const char* query, const std::string& value) {
  RELMAN_TRY(st, c.prepare(query));
  if (!value.empty()) st.bind(1, value);
  RELMAN_CHECK(st.step());
  return st.int64(0);
}
}  // namespace

Result<inventory::SoftwarePolicy> SqlStore::create_software_policy(
    const inventory::SoftwarePolicyDraft& d, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<inventory::SoftwarePolicy> {
    RELMAN_TRY(groups, count(c, "SELECT COUNT(*) FROM cmdb_cis WHERE name = ?", d.group));
    if (groups == 0) {
      return fail("software_policy.unknown_group",
                  "no CMDB CI is named '" + d.group + "': a group is a CI that hosts are part_of",
                  d.group);
    }
    RELMAN_TRY(dup, c.prepare("SELECT id FROM software_policies WHERE group_name = ? AND "
                              "manager = ? AND package = ?"));
    dup.bind(1, d.group).bind(2, d.manager).bind(3, d.package);
    RELMAN_TRY(exists, dup.step());
    if (exists) {
      return fail("software_policy.exists",
                  "group '" + d.group + "' has a policy for " + d.manager + " package '" +
                      d.package + "' already (policy " + std::to_string(dup.int64(0)) + ")",
                  std::to_string(dup.int64(0)));
    }
    RELMAN_TRY(total, count(c, "SELECT COUNT(*) FROM software_policies", ""));
    if (total >= static_cast<std::int64_t>(inventory::kMaxSoftwarePolicies)) {
      return fail("software_policy.too_many",
                  "there are " + std::to_string(total) + " software policies, the most allowed",
                  std::to_string(inventory::kMaxSoftwarePolicies));
    }
    RELMAN_TRY(st, c.prepare("INSERT INTO software_policies(group_name, manager, package, "
                             "min_version, note, created_by, created_at) "
                             "VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    st.bind(1, d.group).bind(2, d.manager).bind(3, d.package);
    if (d.min_version) {
      st.bind(4, *d.min_version);
    } else {
      st.bind_null(4);
    }
    st.bind(5, d.note).bind(6, actor).bind(7, unix_seconds());
    RELMAN_CHECK(st.step());
    const std::int64_t id = st.int64(0);
    RELMAN_CHECK(st.run());
    RELMAN_TRY(stored, policy_by_id(c, id));
    if (!stored)
      return fail("store.corrupt", "the policy just stored is missing", std::to_string(id));
    RELMAN_CHECK(store_sql::append_audit(c, actor, "software_policy.created", "software_policy",
                                         std::to_string(id), inventory::to_json(*stored).dump()));
    return *stored;
  });
}

Result<std::vector<inventory::SoftwarePolicy>> SqlStore::software_policies(
    const std::optional<std::string>& group) {
  return sql::read(*pool_,
                   [&](sql::Connection& c) -> Result<std::vector<inventory::SoftwarePolicy>> {
                     RELMAN_TRY(st, c.prepare(std::string(kPolicySelect) +
                                              "WHERE (CAST(?1 AS TEXT) IS NULL OR group_name = ?1) "
                                              "ORDER BY id LIMIT ?2"));
                     if (group) {
                       st.bind(1, *group);
                     } else {
                       st.bind_null(1);
                     }
                     st.bind(2, static_cast<std::int64_t>(inventory::kMaxSoftwarePolicies));
                     return store_sql::collect<inventory::SoftwarePolicy>(st, read_policy);
                   });
}

Result<void> SqlStore::delete_software_policy(std::int64_t id, const std::string& actor) {
  return sql::write(*pool_, [&](sql::Connection& c) -> Result<void> {
    RELMAN_TRY(policy, policy_by_id(c, id));
    if (!policy) {
      return fail("software_policy.not_found", "no software policy with this id",
                  std::to_string(id));
    }
    RELMAN_TRY(st, c.prepare("DELETE FROM software_policies WHERE id = ?"));
    RELMAN_CHECK(st.bind(1, id).run());
    return store_sql::append_audit(c, actor, "software_policy.deleted", "software_policy",
                                   std::to_string(id), inventory::to_json(*policy).dump());
  });
}

}  // namespace relman::controller
