// Release records and their ITIL lifecycle: register, search and export, counts for charts,
// show, edit (optimistic lock), transitions and history. Every change goes through
// Store::change_release so the checks run on the record as it is in the writing transaction.
#include <charconv>

#include <spdlog/spdlog.h>

#include "controller/api/resources.hpp"
#include "controller/api/responses.hpp"
#include "controller/api/routes.hpp"
#include "controller/auth/permissions.hpp"
#include "controller/releases/executions.hpp"
#include "controller/releases/release_codec.hpp"
#include "controller/releases/release_request.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr std::size_t kMaxExportRows = 10000;
constexpr std::size_t kMaxQueryText = 200;

Actor actor_of(const User& u) {
  return Actor{u.username, std::set<std::string, std::less<>>(u.groups.begin(), u.groups.end())};
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// If-Match: "3", W/"3" or 3. Absent: nullopt; present but not a version: an error.
Result<std::optional<std::int64_t>> if_match(const ApiRequest& req) {
  auto it = req.headers.find("if-match");
  if (it == req.headers.end()) return std::optional<std::int64_t>();
  std::string_view v = it->second;
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  auto n = parse_int(v);
  if (!n || *n < 1) {
    return fail("request.invalid_header", "If-Match must be the release's version, e.g. \"3\"",
                "if-match");
  }
  return std::optional<std::int64_t>(*n);
}

ApiResponse release_response(int status, const ReleaseRecord& r, json extra = json::object()) {
  json body = to_json(r);
  body.update(extra);
  auto resp = json_response(status, body);
  resp.headers["etag"] = "\"" + std::to_string(r.lifecycle.version) + "\"";
  return resp;
}

Result<std::int64_t> release_id(ApiCall& call) {
  auto id = parse_id(call.params["id"]);
  if (!id) return fail("request.invalid_id", "release ids are numbers", "id");
  return *id;
}

// Filters from the query string; unknown keys are refused so a typo does not match everything.
Result<ReleaseQuery> parse_query(const std::map<std::string, std::string>& q,
                                 std::initializer_list<std::string_view> extra_keys) {
  ReleaseQuery out;
  for (const auto& [key, value] : q) {
    auto bad = [&](const std::string& why) {
      return fail("request.invalid_query", key + ": " + why, key);
    };
    if (key == "limit" || key == "offset") continue;
    if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end()) continue;
    if (key == "state") {
      out.state = parse_lifecycle_state(value);
      if (!out.state) return bad("not a release state");
    } else if (key == "priority") {
      auto p = parse_int(value);
      if (!p || *p < kHighestPriority || *p > kLowestPriority) return bad("must be 1 to 5");
      out.priority = static_cast<int>(*p);
    } else if (key == "group") {
      out.executor_group = value;
    } else if (key == "requester") {
      out.requester = value;
    } else if (key == "q") {
      if (value.size() > kMaxQueryText) return bad("at most 200 bytes");
      out.text = value;
    } else if (key == "from" || key == "to") {
      auto t = parse_int(value);
      if (!t || *t < 0) return bad("must be unix seconds");
      (key == "from" ? out.from : out.to) = *t;
    } else {
      return bad("unknown filter (state, priority, group, requester, q, from, to)");
    }
  }
  return out;
}

// One CSV cell: quoted when needed; a leading = + - @ is defused so spreadsheets show text.
std::string csv_cell(std::string s) {
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos) {
    s.insert(s.begin(), '\'');
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string csv_of(const std::vector<ReleaseRecord>& list) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : ""; };
  std::string out =
      "id,number,title,state,priority,type,requester,executor_group,current_responsible,"
      "created_at,planned_start,planned_end,release_version\r\n";
  for (const auto& r : list) {
    const std::vector<std::string> cells = {std::to_string(r.id),
                                            r.number,
                                            r.fields.title,
                                            std::string(lifecycle_state_name(r.lifecycle.state)),
                                            std::to_string(r.priority),
                                            r.fields.type,
                                            r.lifecycle.requester,
                                            r.lifecycle.executor_group,
                                            to_string(r.lifecycle.current_responsible),
                                            std::to_string(r.created_at),
                                            opt(r.fields.planned_start),
                                            opt(r.fields.planned_end),
                                            r.fields.release_version};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += (i ? "," : "") + csv_cell(cells[i]);
    }
    out += "\r\n";
  }
  return out;
}

ApiResponse export_releases(ApiServices& s, const ReleaseQuery& q, const std::string& format) {
  std::vector<ReleaseRecord> all;
  Page page{500, 0};
  bool truncated = false;
  for (;;) {
    auto part = s.store.search_releases(q, page);
    if (!part) return from_error(part.error());
    for (auto& r : *part) all.push_back(std::move(r));
    if (part->size() < 500) break;
    if (all.size() >= kMaxExportRows) {
      truncated = true;
      break;
    }
    page.offset += 500;
  }
  ApiResponse resp;
  if (format == "csv") {
    resp.content_type = "text/csv; charset=utf-8";
    resp.body = csv_of(all);
    resp.headers["content-disposition"] = "attachment; filename=\"releases.csv\"";
  } else {
    json items = json::array();
    for (const auto& r : all) items.push_back(to_json(r));
    resp = json_response(200, json{{"items", items}, {"count", all.size()}});
    resp.headers["content-disposition"] = "attachment; filename=\"releases.json\"";
  }
  if (truncated) resp.headers["x-relman-truncated"] = "true";
  return resp;
}

// Keeps the lifecycle's ballot in step with the descriptive approval fields; a changed list
// or policy starts the vote afresh.
Result<void> sync_ballot(const ReleaseFields& f, ReleaseState& st) {
  if (st.approval.policy == f.approval_policy && st.approval.approvers == f.approvers) {
    return ok();
  }
  RELMAN_TRY(ballot, make_ballot(f.approval_policy, f.approvers));
  st.approval = std::move(ballot);
  return ok();
}

ApiResponse create_release(ApiServices& s, ApiCall& call) {
  auto doc = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
  if (!doc) return from_error(doc.error());
  auto req = parse_create_release(*doc);
  if (!req) return from_error(req.error());
  const User& user = call.actor();
  ReleaseRecord draft;
  draft.fields = std::move(req->fields);
  draft.lifecycle.requester = req->requester.value_or(user.username);
  if (draft.lifecycle.requester != user.username) {
    // Registering for someone else is handing work over: the delegate permission.
    auto allowed = require(permissions_of_role_names(user.roles), Permission::delegate);
    if (!allowed) return from_error(allowed.error());
  }
  if (req->executor_group) {
    draft.lifecycle.executor_group = *req->executor_group;
  } else if (!draft.fields.type.empty()) {
    // The type's executor group by default (the store checks the type again when writing).
    auto type = s.store.get_release_type(draft.fields.type);
    if (!type) return from_error(type.error());
    if (!*type) {
      return from_error(Error{"release.unknown_type",
                              "no release type with this name (GET /release-types)",
                              draft.fields.type});
    }
    draft.lifecycle.executor_group = (*type)->executor_group;
  }
  draft.lifecycle.current_responsible =
      req->current_responsible.value_or(Principal{PrincipalKind::user, draft.lifecycle.requester});
  draft.lifecycle.shared_with = std::move(req->shared_with);
  if (auto b = sync_ballot(draft.fields, draft.lifecycle); !b) return from_error(b.error());
  draft.priority = s.config.priority_matrix.priority(draft.fields.impact, draft.fields.urgency);
  auto rec = s.store.register_release(draft, user.username);
  if (!rec) return from_error(rec.error());
  spdlog::info("API: {} registered release {} '{}'", user.username, rec->number, rec->fields.title);
  return release_response(201, *rec);
}

// What every change request brings: the release id, the If-Match version and the JSON body.
struct ChangeInput {
  std::int64_t id = 0;
  std::optional<std::int64_t> if_match;
  json body;
};

Result<ChangeInput> read_change(ApiCall& call) {
  RELMAN_TRY(id, release_id(call));
  RELMAN_TRY(header, if_match(call.req));
  RELMAN_TRY(doc, protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body"));
  return ChangeInput{id, header, std::move(doc)};
}

ApiResponse update_release(ApiServices& s, ApiCall& call) {
  auto in = read_change(call);
  if (!in) return from_error(in.error());
  auto u = parse_update_release(in->body, in->if_match);
  if (!u) return from_error(u.error());
  auto rec = s.store.change_release(
      in->id, "update",
      [&](const ReleaseRecord& current) -> Result<ReleaseChange> {
        if (current.lifecycle.version != u->expected_version) {
          return fail("release.version_conflict",
                      "the release changed since you read it (now version " +
                          std::to_string(current.lifecycle.version) + "); reload it",
                      "version");
        }
        if (!is_editable(current.lifecycle.state)) {
          return fail("release.not_editable",
                      "a " + std::string(lifecycle_state_name(current.lifecycle.state)) +
                          " release cannot be edited",
                      "state");
        }
        RELMAN_TRY(fields, apply_update(current.fields, *u));
        ReleaseChange c{current, json::object()};
        c.next.fields = std::move(fields);
        RELMAN_CHECK(sync_ballot(c.next.fields, c.next.lifecycle));
        c.next.priority =
            s.config.priority_matrix.priority(c.next.fields.impact, c.next.fields.urgency);
        c.next.lifecycle.version += 1;
        return c;
      },
      call.actor().username);
  if (!rec) return from_error(rec.error());
  return release_response(200, *rec);
}

// The actions this user may take next on `r` (the lifecycle's and the user's permissions).
json allowed_actions_json(const ReleaseRecord& r, const User& user) {
  auto held = permissions_of_role_names(user.roles);
  json out = json::array();
  for (auto a : allowed_actions(r.lifecycle, actor_of(user))) {
    if (held.contains(permission_for(a))) out.push_back(lifecycle_action_name(a));
  }
  return out;
}

ApiResponse transition(ApiServices& s, ApiCall& call) {
  auto in = read_change(call);
  if (!in) return from_error(in.error());
  auto t = parse_transition_request(in->body, in->if_match);
  if (!t) return from_error(t.error());
  const User& user = call.actor();
  auto allowed = require(permissions_of_role_names(user.roles), permission_for(t->action));
  if (!allowed) return from_error(allowed.error());
  const Actor actor = actor_of(user);
  const std::string action(lifecycle_action_name(t->action));
  auto rec = s.store.change_release(
      in->id, action,
      [&](const ReleaseRecord& current) -> Result<ReleaseChange> {
        RELMAN_TRY(tr, apply(current.lifecycle, *t, actor));
        ReleaseChange c{current, json::object()};
        c.next.lifecycle = tr.next;
        json changes = json::array();
        for (const auto& ch : tr.changes) {
          changes.push_back({{"field", ch.field}, {"before", ch.before}, {"after", ch.after}});
        }
        json effects = json::array();
        for (const auto& e : tr.effects) {
          effects.push_back({{"kind", side_effect_name(e.kind)}, {"detail", e.detail}});
          if (e.kind == SideEffectKind::promote_linked_cis) c.promote_linked_cis = true;
        }
        c.audit_detail = {{"from", lifecycle_state_name(tr.from)},
                          {"to", lifecycle_state_name(tr.to)},
                          {"changes", changes},
                          {"effects", effects},
                          {"comment", t->comment}};
        return c;
      },
      user.username);
  if (!rec) return from_error(rec.error());
  spdlog::info("API: {} {} release {} -> {}", user.username, action, rec->number,
               lifecycle_state_name(rec->lifecycle.state));
  return release_response(200, *rec, json{{"allowed_actions", allowed_actions_json(*rec, user)}});
}

// The execution records: executions read from the whole history (paged through, bounded)
// and the notes.
ApiResponse list_executions(ApiServices& s, std::int64_t id) {
  constexpr std::int64_t kPage = 500, kMaxPages = 200;
  std::vector<AuditEntry> history;
  for (std::int64_t page = 0; page < kMaxPages; ++page) {
    auto entries = s.store.release_history(id, Page{kPage, page * kPage});
    if (!entries) return from_error(entries.error());
    history.insert(history.end(), entries->begin(), entries->end());
    if (static_cast<std::int64_t>(entries->size()) < kPage) break;
  }
  auto notes = s.store.list_execution_notes(id);
  if (!notes) return from_error(notes.error());
  json items = json::array();
  for (const auto& e : executions_of(history, *notes)) items.push_back(to_json(e));
  return json_response(200, json{{"items", items}});
}

ApiResponse add_note(ApiServices& s, ApiCall& call, std::int64_t id) {
  auto body = protocol::parse_json_object(call.req.body, protocol::kMaxApiBodyBytes, "body");
  if (!body) return from_error(body.error());
  auto note = parse_execution_note(*body);
  if (!note) return from_error(note.error());
  auto rec = s.store.add_execution_note(id, *note, call.actor().username);
  if (!rec) return from_error(rec.error());
  spdlog::info("API: {} wrote an execution note on release {} (execution {}, {} min)",
               call.actor().username, id, rec->execution, rec->minutes_spent);
  return json_response(201, to_json(*rec));
}

}  // namespace

Result<std::int64_t> existing_release_id(ApiServices& s, ApiCall& call) {
  RELMAN_TRY(id, release_id(call));
  RELMAN_TRY(r, s.store.get_release(id));
  if (!r) return fail("release.not_found", "no release with this id", "id");
  return id;
}

void add_release_record_routes(RouteTable& routes, ApiServices& s) {
  routes.add("GET", "/releases", Access::kUser, [&s](ApiCall& call) {
    auto q = parse_query(call.query, {"format"});
    if (!q) return from_error(q.error());
    if (auto f = call.query.find("format"); f != call.query.end()) {
      if (f->second != "csv" && f->second != "json") {
        return error_response(400, "request.invalid_query", "format must be csv or json");
      }
      return export_releases(s, *q, f->second);
    }
    auto list = s.store.search_releases(*q, call.page);
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& r : *list) items.push_back(to_json(r));
    return json_response(200, page_json(items, call.page));
  });

  routes.add("GET", "/releases/counts", Access::kUser, [&s](ApiCall& call) {
    auto q = parse_query(call.query, {"by"});
    if (!q) return from_error(q.error());
    auto by = call.query.find("by");
    if (by == call.query.end() ||
        (by->second != "state" && by->second != "priority" && by->second != "group")) {
      return error_response(400, "request.invalid_query", "by must be state, priority or group");
    }
    auto key = by->second == "state"      ? ReleaseCountKey::state
               : by->second == "priority" ? ReleaseCountKey::priority
                                          : ReleaseCountKey::executor_group;
    auto counts = s.store.count_releases(*q, key);
    if (!counts) return from_error(counts.error());
    json items = json::array();
    for (const auto& c : *counts) items.push_back({{"key", c.key}, {"count", c.count}});
    return json_response(200, json{{"by", by->second}, {"counts", items}});
  });

  routes.add("POST", "/releases", Permission::create,
             [&s](ApiCall& call) { return create_release(s, call); });

  routes.add("GET", "/releases/{id}", Access::kUser, [&s](ApiCall& call) {
    auto id = release_id(call);
    if (!id) return from_error(id.error());
    auto r = s.store.get_release(*id);
    if (!r) return from_error(r.error());
    if (!*r) return error_response(404, "release.not_found", "no release with this id");
    auto deps = s.store.list_deployments(*id, Page{500, 0});
    if (!deps) return from_error(deps.error());
    json extra{{"deployments", json::array()},
               {"allowed_actions", allowed_actions_json(**r, call.actor())}};
    for (const auto& d : *deps) extra["deployments"].push_back(to_json(d));
    return release_response(200, **r, extra);
  });

  routes.add("PATCH", "/releases/{id}", Permission::create,
             [&s](ApiCall& call) { return update_release(s, call); });

  routes.add("POST", "/releases/{id}/transitions", Access::kUser,
             [&s](ApiCall& call) { return transition(s, call); });

  routes.add("GET", "/releases/{id}/executions", Access::kUser, [&s](ApiCall& call) {
    auto id = existing_release_id(s, call);
    if (!id) return from_error(id.error());
    return list_executions(s, *id);
  });

  routes.add("POST", "/releases/{id}/execution-notes", Permission::execute, [&s](ApiCall& call) {
    auto id = release_id(call);
    if (!id) return from_error(id.error());
    return add_note(s, call, *id);
  });

  routes.add("GET", "/releases/{id}/history", Access::kUser, [&s](ApiCall& call) {
    auto id = existing_release_id(s, call);
    if (!id) return from_error(id.error());
    auto entries = s.store.release_history(*id, call.page);
    if (!entries) return from_error(entries.error());
    json items = json::array();
    for (const auto& e : *entries) {
      items.push_back({{"id", e.id},
                       {"at", e.at},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"detail", json::parse(e.detail_json, nullptr, false)}});
    }
    return json_response(200, page_json(items, call.page));
  });
}

}  // namespace relman::controller
