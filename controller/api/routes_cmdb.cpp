// The CMDB: classes, CIs with versions and restore, relationships and impact analysis. The
// rules live in controller/cmdb; the store applies them inside its transactions.
#include <spdlog/spdlog.h>

#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/cmdb/ci.hpp"
#include "controller/cmdb/lifecycle.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

ApiResponse bad_ci_id() { return error_response(400, "request.invalid_id", "CI ids are numbers"); }

// The filters of GET /cmdb/cis, each checked like a body field would be.
Result<cmdb::CiFilter> ci_filter(const std::map<std::string, std::string>& query) {
  cmdb::CiFilter f;
  auto take = [&](const char* key, std::size_t max) -> Result<std::optional<std::string>> {
    auto it = query.find(key);
    if (it == query.end()) return std::optional<std::string>();
    if (it->second.empty() || it->second.size() > max) {
      return fail("request.invalid_query",
                  std::string(key) + " must be 1 to " + std::to_string(max) + " bytes", key);
    }
    return std::optional<std::string>(it->second);
  };
  RELMAN_TRY(cls, take("class", 64));
  RELMAN_TRY(stage, take("stage", 32));
  RELMAN_TRY(owner, take("owner_group", cmdb::kMaxOwnerGroupLength));
  RELMAN_TRY(q, take("q", cmdb::kMaxCiNameLength));
  if (stage && !cmdb::valid_stage(*stage)) {
    return fail("request.invalid_query",
                "stage must be development, homologation, production, in_store or retired",
                "stage");
  }
  f.class_name = cls;
  f.stage = stage;
  f.owner_group = owner;
  f.q = q;
  return f;
}

Result<json> body_object(const ApiRequest& req) {
  return protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
}

void add_class_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/cmdb/classes", Access::kUser, [&s](ApiCall&) {
    auto classes = s.store.list_ci_classes();
    if (!classes) return from_error(classes.error());
    json items = json::array();
    for (const auto& c : *classes) items.push_back(cmdb::to_json(c));
    return json_response(200, json{{"items", items}});
  });

  routes.add("POST", "/cmdb/classes", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto doc = body_object(call.req);
    if (!doc) return from_error(doc.error());
    auto c = cmdb::class_from_json(*doc);
    if (!c) return from_error(c.error());
    auto stored = s.store.create_ci_class(*c, call.actor().username);
    if (!stored) return from_error(stored.error());
    spdlog::info("API: {} defined CI class '{}'", call.actor().username, stored->name);
    return json_response(201, cmdb::to_json(*stored));
  });
}

void add_ci_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/cmdb/cis", Access::kUser, [&s](ApiCall& call) {
    auto filter = ci_filter(call.query);
    if (!filter) return from_error(filter.error());
    auto list = s.store.list_cis(*filter, call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& ci : *list) items.push_back(cmdb::to_json(ci));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/cmdb/cis", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto doc = body_object(call.req);
    if (!doc) return from_error(doc.error());
    auto draft = cmdb::ci_draft_from_json(*doc);
    if (!draft) return from_error(draft.error());
    auto ci = s.store.create_ci(*draft, call.actor().username);
    if (!ci) return from_error(ci.error());
    spdlog::info("API: {} created CI {} ({} '{}')", call.actor().username, ci->id, ci->class_name,
                 ci->state.name);
    return json_response(201, cmdb::to_json(*ci));
  });

  routes.add("GET", "/cmdb/cis/{id}", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto ci = s.store.get_ci(*id);
    if (!ci) return from_error(ci.error());
    if (!*ci) return error_response(404, "cmdb.ci_not_found", "no CI with this id");
    return json_response(200, cmdb::to_json(**ci));
  });

  routes.add("PATCH", "/cmdb/cis/{id}", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto doc = body_object(call.req);
    if (!doc) return from_error(doc.error());
    auto patch = cmdb::ci_patch_from_json(*doc);
    if (!patch) return from_error(patch.error());
    auto ci = s.store.update_ci(*id, *patch, call.actor().username);
    if (!ci) return from_error(ci.error());
    return json_response(200, cmdb::to_json(*ci));
  });

  routes.add("GET", "/cmdb/cis/{id}/history", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto versions = s.store.ci_history(*id, call.page);
    if (!versions) return from_error(versions.error());
    json items = json::array();
    for (const auto& v : *versions) items.push_back(cmdb::to_json(v));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("POST", "/cmdb/cis/{id}/restore", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto doc = body_object(call.req);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto version = r.integer("version", 1, INT64_MAX);
    auto expected = r.optional_integer("expected_version", 1, INT64_MAX);
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto ci = s.store.restore_ci(*id, version, expected, call.actor().username);
    if (!ci) return from_error(ci.error());
    spdlog::info("API: {} restored CI {} to version {} (now version {})", call.actor().username,
                 *id, version, ci->version);
    return json_response(200, cmdb::to_json(*ci));
  });

  routes.add("GET", "/cmdb/cis/{id}/impact", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto report = s.store.ci_impact(*id);
    if (!report) return from_error(report.error());
    return json_response(200, cmdb::to_json(*report));
  });
}

void add_relationship_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/cmdb/cis/{id}/relationships", Access::kUser, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto rels = s.store.ci_relationships(*id);
    if (!rels) return from_error(rels.error());
    json items = json::array();
    for (const auto& r : *rels) items.push_back(cmdb::to_json(r));
    return json_response(200, json{{"items", items}});
  });

  routes.add("POST", "/cmdb/cis/{id}/relationships", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return bad_ci_id();
    auto doc = body_object(call.req);
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto type = r.string("type", 32);
    auto to = r.integer("to", 1, INT64_MAX);
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto rel = s.store.create_relationship(*id, type, to, call.actor().username);
    if (!rel) return from_error(rel.error());
    return json_response(201, cmdb::to_json(*rel));
  });

  routes.add("DELETE", "/cmdb/relationships/{id}", Permission::manage_cmdb, [&s](ApiCall& call) {
    auto id = parse_id(call.params["id"]);
    if (!id) return error_response(400, "request.invalid_id", "relationship ids are numbers");
    auto r = s.store.delete_relationship(*id, call.actor().username);
    if (!r) return from_error(r.error());
    return json_response(200, json{{"deleted", *id}});
  });
}

}  // namespace

void add_cmdb_routes(RouteTable& routes, ApiServices& s) {
  add_class_routes(routes, s);
  add_ci_routes(routes, s);
  add_relationship_routes(routes, s);
}

}  // namespace relman::controller
