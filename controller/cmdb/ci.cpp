#include "controller/cmdb/ci.hpp"

#include <algorithm>
#include <cstdint>

#include "controller/cmdb/lifecycle.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller::cmdb {
using nlohmann::json;

namespace {
void check_values(protocol::JsonReader& r, const std::optional<std::string>& stage,
                  const std::optional<std::string>& criticality,
                  const std::optional<std::string>& name) {
  if (stage && !valid_stage(*stage)) {
    r.reject("stage", "cmdb.invalid_stage",
             "stage must be development, homologation, production, in_store or retired");
  }
  if (criticality && !valid_criticality(*criticality)) {
    r.reject("criticality", "cmdb.invalid_criticality",
             "criticality must be low, medium, high or critical");
  }
  if (name && name->empty()) r.reject("name", "protocol.empty_field", "a CI needs a name");
}
}  // namespace

const std::vector<std::string>& criticalities() {
  static const std::vector<std::string> c = {"low", "medium", "high", "critical"};
  return c;
}

bool valid_criticality(std::string_view c) {
  const auto& all = criticalities();
  return std::find(all.begin(), all.end(), c) != all.end();
}

Result<CiDraft> ci_draft_from_json(const json& doc) {
  protocol::JsonReader r(doc);
  CiDraft d;
  d.class_name = r.string("class", 64);
  d.state.name = r.string("name", kMaxCiNameLength);
  if (const json* a = r.optional_object("attributes")) d.state.attributes = *a;
  auto stage = r.optional_string("stage", 32);
  auto owner = r.optional_string("owner_group", kMaxOwnerGroupLength);
  auto criticality = r.optional_string("criticality", 32);
  check_values(r, stage, criticality, std::nullopt);
  RELMAN_CHECK(r.finish_strict());
  if (stage) d.state.stage = *stage;
  if (owner) d.state.owner_group = *owner;
  if (criticality) d.state.criticality = *criticality;
  return d;
}

Result<CiPatch> ci_patch_from_json(const json& doc) {
  protocol::JsonReader r(doc);
  CiPatch p;
  p.expected_version = r.integer("version", 1, INT64_MAX);
  p.name = r.optional_string("name", kMaxCiNameLength);
  if (const json* a = r.optional_object("attributes")) p.attributes = *a;
  p.stage = r.optional_string("stage", 32);
  p.owner_group = r.optional_string("owner_group", kMaxOwnerGroupLength);
  p.criticality = r.optional_string("criticality", 32);
  check_values(r, p.stage, p.criticality, p.name);
  RELMAN_CHECK(r.finish_strict());
  return p;
}

Result<void> check_new_ci(const CiClass& c, const CiState& s) {
  RELMAN_CHECK(validate_attributes(c, s.attributes));
  return check_initial_stage(s.stage);
}

Result<CiState> apply_patch(const CiClass& c, const CiState& current, const CiPatch& patch) {
  CiState next = current;
  if (patch.name) next.name = *patch.name;
  if (patch.attributes) next.attributes = merge_attributes(current.attributes, *patch.attributes);
  if (patch.owner_group) next.owner_group = *patch.owner_group;
  if (patch.criticality) next.criticality = *patch.criticality;
  if (patch.stage) {
    RELMAN_CHECK(check_stage_transition(current.stage, *patch.stage));
    next.stage = *patch.stage;
  }
  RELMAN_CHECK(validate_attributes(c, next.attributes));
  return next;
}

Result<void> check_restore(const CiClass& c, const CiState& current, const CiState& target) {
  RELMAN_CHECK(check_stage_transition(current.stage, target.stage));
  return validate_attributes(c, target.attributes);
}

json to_json(const CiState& s) {
  return json{{"name", s.name},
              {"attributes", s.attributes},
              {"stage", s.stage},
              {"owner_group", s.owner_group},
              {"criticality", s.criticality}};
}

json to_json(const CiRecord& r) {
  json j = to_json(r.state);
  j["id"] = r.id;
  j["class"] = r.class_name;
  j["version"] = r.version;
  j["source_key"] = r.source_key.empty() ? json(nullptr) : json(r.source_key);
  j["created_by"] = r.created_by;
  j["created_at"] = r.created_at;
  j["updated_by"] = r.updated_by;
  j["updated_at"] = r.updated_at;
  return j;
}

json to_json(const CiVersionRecord& v) {
  json j = to_json(v.state);
  j["ci_id"] = v.ci_id;
  j["version"] = v.version;
  j["change"] = v.change;
  j["restored_from"] = v.restored_from == 0 ? json(nullptr) : json(v.restored_from);
  j["changed_by"] = v.changed_by;
  j["changed_at"] = v.changed_at;
  return j;
}

json to_json(const RelationshipRecord& r) {
  auto ref = [](const CiRef& c) {
    return json{{"id", c.id}, {"class", c.class_name}, {"name", c.name}};
  };
  return json{{"id", r.inventory ? json(nullptr) : json(r.edge.id)},
              {"type", r.edge.type},
              {"from", ref(r.edge.from)},
              {"to", ref(r.edge.to)},
              {"created_by", r.created_by},
              {"created_at", r.created_at},
              {"source", r.inventory ? "inventory" : "cmdb"}};
}

}  // namespace relman::controller::cmdb
