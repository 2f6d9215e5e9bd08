#include "controller/cmdb/ci.hpp"

#include <gtest/gtest.h>

namespace relman::controller::cmdb {
namespace {
using nlohmann::json;

CiClass app_class() {
  auto c = class_from_json(json::parse(R"({"name": "app", "attributes": {
      "tier": {"type": "enum", "values": ["web", "batch"], "required": true},
      "port": {"type": "number"}}})"));
  EXPECT_TRUE(c.has_value());
  return *c;
}

TEST(CiRequests, DraftTakesDefaults) {
  auto d = ci_draft_from_json(json{{"class", "host"}, {"name", "srv1"}});
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  EXPECT_EQ(d->class_name, "host");
  EXPECT_EQ(d->state.stage, "development");
  EXPECT_EQ(d->state.criticality, "medium");
  EXPECT_EQ(d->state.attributes, json::object());
}

TEST(CiRequests, DraftRefusesBadInputNamingTheField) {
  struct Case {
    json doc;
    std::string code;
    std::string context;
  };
  for (const auto& c : std::vector<Case>{
           {json{{"name", "x"}}, "protocol.missing_field", "class"},
           {json{{"class", "host"}}, "protocol.missing_field", "name"},
           {json{{"class", "host"}, {"name", 5}}, "protocol.wrong_type", "name"},
           {json{{"class", "host"}, {"name", std::string(201, 'n')}}, "protocol.too_long", "name"},
           {json{{"class", "host"}, {"name", "x"}, {"attributes", "a=b"}}, "protocol.wrong_type",
            "attributes"},
           {json{{"class", "host"}, {"name", "x"}, {"stage", "live"}}, "cmdb.invalid_stage",
            "stage"},
           {json{{"class", "host"}, {"name", "x"}, {"criticality", "5"}},
            "cmdb.invalid_criticality", "criticality"},
           {json{{"class", "host"}, {"name", "x"}, {"colour", "red"}}, "protocol.unknown_field",
            "colour"},
       }) {
    auto d = ci_draft_from_json(c.doc);
    ASSERT_FALSE(d.has_value()) << c.doc.dump();
    EXPECT_EQ(d.error().code, c.code) << c.doc.dump();
    EXPECT_EQ(d.error().context, c.context) << c.doc.dump();
  }
}

TEST(CiRequests, PatchNeedsTheVersionItWasReadAt) {
  auto p = ci_patch_from_json(json{{"name", "x"}});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().context, "version");
  p = ci_patch_from_json(json{{"version", 0}});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, "protocol.out_of_range");
  p = ci_patch_from_json(json{{"version", 3}, {"name", ""}});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().context, "name");
  p = ci_patch_from_json(json{{"version", 3}, {"stage", "production"}});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->expected_version, 3);
  EXPECT_EQ(p->stage, "production");
  EXPECT_FALSE(p->name.has_value());
}

TEST(CiRules, NewCiIsCheckedAgainstItsClass) {
  CiClass c = app_class();
  CiState s;
  s.name = "shop";
  s.attributes = json{{"tier", "web"}};
  EXPECT_TRUE(check_new_ci(c, s));
  s.attributes = json{{"port", 80}};
  auto r = check_new_ci(c, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.invalid_attribute");
  EXPECT_EQ(r.error().context, "tier");
  s.attributes = json{{"tier", "web"}};
  s.stage = "retired";
  EXPECT_EQ(check_new_ci(c, s).error().code, "cmdb.invalid_stage");
}

TEST(CiRules, PatchMergesAttributesAndChecksTheStageMove) {
  CiClass c = app_class();
  CiState cur;
  cur.name = "shop";
  cur.attributes = json{{"tier", "web"}, {"port", 80}};
  CiPatch p;
  p.attributes = json{{"port", nullptr}};
  p.stage = "production";
  p.criticality = "high";
  auto next = apply_patch(c, cur, p);
  ASSERT_TRUE(next.has_value()) << next.error().describe();
  EXPECT_EQ(next->attributes, (json{{"tier", "web"}}));
  EXPECT_EQ(next->stage, "production");
  EXPECT_EQ(next->criticality, "high");
  EXPECT_EQ(next->name, "shop");

  p = CiPatch{};
  p.attributes = json{{"tier", nullptr}};  // removing a required attribute
  auto bad = apply_patch(c, cur, p);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "cmdb.invalid_attribute");
  EXPECT_EQ(bad.error().context, "tier");

  p = CiPatch{};
  p.stage = "in_store";  // development cannot go to the store
  bad = apply_patch(c, cur, p);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "cmdb.illegal_stage_transition");
}

TEST(CiRules, RestoreIsAChangeLikeAnyOther) {
  CiClass c = app_class();
  CiState retired;
  retired.stage = "retired";
  retired.attributes = json{{"tier", "web"}};
  CiState old;
  old.stage = "production";
  old.attributes = json{{"tier", "batch"}};
  auto r = check_restore(c, retired, old);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.illegal_stage_transition");
  CiState prod = old;
  prod.attributes = json{{"tier", "web"}};
  EXPECT_TRUE(check_restore(c, prod, old));
}

TEST(CiViews, JsonShowsWhatTheApiPromises) {
  CiRecord r;
  r.id = 7;
  r.class_name = "host";
  r.state.name = "srv1";
  r.version = 3;
  json j = to_json(r);
  EXPECT_EQ(j["class"], "host");
  EXPECT_EQ(j["version"], 3);
  EXPECT_TRUE(j["source_key"].is_null());
  r.source_key = "agent:a1";
  EXPECT_EQ(to_json(r)["source_key"], "agent:a1");
  CiVersionRecord v;
  v.change = "restore";
  v.restored_from = 2;
  EXPECT_EQ(to_json(v)["restored_from"], 2);
}

}  // namespace
}  // namespace relman::controller::cmdb
