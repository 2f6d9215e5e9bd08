// A configuration item: its record, its versions, and the rules for creating and changing one.
// The API parses requests into drafts and patches here; the store applies them inside its
// transaction with the CI's class in hand, so no change skips validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/cmdb/ci_class.hpp"
#include "controller/cmdb/impact.hpp"
#include "protocol/error.hpp"

namespace relman::controller::cmdb {

// What a version of a CI holds; every change stores a whole one (a restore point).
struct CiState {
  std::string name;
  nlohmann::json attributes = nlohmann::json::object();
  std::string stage = "development";
  std::string owner_group;
  std::string criticality = "medium";

  bool operator==(const CiState&) const = default;
};

struct CiRecord {
  std::int64_t id = 0;
  std::string class_name;
  CiState state;
  std::int64_t version = 1;  // bumped by every change; PATCH names the one it read
  std::string source_key;    // "agent:<id>" for hosts agents reported; empty otherwise
  std::string created_by;
  std::int64_t created_at = 0;
  std::string updated_by;
  std::int64_t updated_at = 0;

  bool operator==(const CiRecord&) const = default;
};

struct CiVersionRecord {
  std::int64_t ci_id = 0;
  std::int64_t version = 0;
  CiState state;
  std::string change;              // create | update | restore | agent | inventory
  std::int64_t restored_from = 0;  // for change == restore
  std::string changed_by;
  std::int64_t changed_at = 0;
};

struct RelationshipRecord {
  RelationshipEdge edge;  // edge.id 0 for the inventory's
  std::string created_by;
  std::int64_t created_at = 0;
  // An installed_on that inventory reports keep (inventory_installed): no id, not deletable;
  // the host's next report that lacks the software removes it.
  bool inventory = false;
};

struct CiDraft {
  std::string class_name;
  CiState state;
};

struct CiPatch {
  std::int64_t expected_version = 0;
  std::optional<std::string> name;
  std::optional<nlohmann::json> attributes;  // merged into the current ones (RFC 7386)
  std::optional<std::string> stage;
  std::optional<std::string> owner_group;
  std::optional<std::string> criticality;
};

struct CiFilter {
  std::optional<std::string> class_name;
  std::optional<std::string> stage;
  std::optional<std::string> owner_group;
  std::optional<std::string> q;  // part of the name, case-insensitive
};

// What the CMDB says about agents' hosts, for planning (agent ids, from the host CIs'
// source key "agent:<id>"):
// - depends_on: (host, depends_on host) pairs, from depends_on relationships between host CIs
//   or between CIs that run on / are installed on them; a host never depends on itself;
// - groups: (host, group) pairs, a group being the name of a CI the host CI is part_of;
// - host_cis: each host's CI (what a host query sees as `cmdb`).
struct HostCi {
  std::int64_t id = 0;
  std::string name;
  std::string stage;
  std::string owner_group;
  std::string criticality;
  nlohmann::json attributes = nlohmann::json::object();
};
struct HostFacts {
  std::vector<std::pair<std::string, std::string>> depends_on;
  std::vector<std::pair<std::string, std::string>> groups;
  std::vector<std::pair<std::string, HostCi>> host_cis;
};
inline constexpr std::size_t kMaxHostFacts = 200000;  // rows of each kind

inline constexpr std::size_t kMaxCiNameLength = 200;
inline constexpr std::size_t kMaxOwnerGroupLength = 128;

const std::vector<std::string>& criticalities();  // low, medium, high, critical
bool valid_criticality(std::string_view c);

// POST /cmdb/cis: {"class", "name", "attributes"?, "stage"?, "owner_group"?, "criticality"?}.
// Shape errors are protocol.*; stage and criticality values are checked here too.
Result<CiDraft> ci_draft_from_json(const nlohmann::json& doc);
// PATCH /cmdb/cis/{id}: {"version", and any of name, attributes, stage, owner_group,
// criticality}.
Result<CiPatch> ci_patch_from_json(const nlohmann::json& doc);

// A new CI of class `c`: its attributes fit the schema and its stage may start a CI.
Result<void> check_new_ci(const CiClass& c, const CiState& s);
// The state after `patch`: attributes merged and validated, stage move checked. Does not
// check the version (the store does, against the row it locked).
Result<CiState> apply_patch(const CiClass& c, const CiState& current, const CiPatch& patch);
// Going back to an earlier version's state is a change like any other: its attributes must
// fit the class and the stage move must be allowed.
Result<void> check_restore(const CiClass& c, const CiState& current, const CiState& target);

nlohmann::json to_json(const CiState& s);
nlohmann::json to_json(const CiRecord& r);
nlohmann::json to_json(const CiVersionRecord& v);
nlohmann::json to_json(const RelationshipRecord& r);

}  // namespace relman::controller::cmdb
