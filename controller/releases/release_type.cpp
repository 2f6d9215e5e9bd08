#include "controller/releases/release_type.hpp"

#include <algorithm>

#include "controller/releases/lifecycle.hpp"
#include "controller/releases/principal.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr std::size_t kMaxGroupName = 64;

bool valid_group_name(const std::string& s) { return valid_account_name(s); }

Result<std::string> group_field(protocol::JsonReader& r, std::string_view key) {
  auto v = r.optional_string(key, kMaxGroupName);
  if (!r.ok()) return fail(*r.error());
  if (!v || v->empty()) return std::string();
  if (!valid_group_name(*v)) {
    return fail("protocol.invalid_value",
                "a group name is 1 to 64 letters, digits, '.', '_' or '-'", r.field_name(key));
  }
  return *v;
}

Result<std::optional<std::vector<std::string>>> groups_field(protocol::JsonReader& r,
                                                             std::string_view key) {
  const json* arr = r.optional_array(key, kMaxNotifyGroups);
  if (!r.ok()) return fail(*r.error());
  if (!arr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  for (const auto& v : *arr) {
    if (!v.is_string() || !valid_group_name(v.get<std::string>())) {
      return fail("protocol.invalid_value", "notify_groups holds group names", r.field_name(key));
    }
    out.push_back(v.get<std::string>());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::map<std::string, MessageTemplate>>> templates_field(
    protocol::JsonReader& r) {
  const json* obj = r.optional_object("templates");
  if (!r.ok()) return fail(*r.error());
  if (!obj) return std::optional<std::map<std::string, MessageTemplate>>();
  RELMAN_TRY(t, templates_from_json(*obj));
  return std::optional<std::map<std::string, MessageTemplate>>(std::move(t));
}

}  // namespace

bool valid_template_event(std::string_view key) {
  if (key == "created" || key == "closed" || key == "transition") return true;
  auto a = parse_lifecycle_action(key);
  return a && *a != LifecycleAction::close;
}

const std::vector<std::string_view>& template_placeholders() {
  static const std::vector<std::string_view> kAll = {
      "number",         "title", "type",      "action",         "state",
      "previous_state", "actor", "requester", "executor_group", "priority"};
  return kAll;
}

bool valid_release_type_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Result<void> check_template(std::string_view text, const std::string& where) {
  std::size_t at = 0;
  while ((at = text.find("{{", at)) != std::string_view::npos) {
    auto close = text.find("}}", at + 2);
    if (close == std::string_view::npos) {
      return fail("release_type.invalid_template", "a \"{{\" is not closed by \"}}\"", where);
    }
    auto name = text.substr(at + 2, close - at - 2);
    const auto& known = template_placeholders();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return fail("release_type.unknown_placeholder",
                  "unknown placeholder {{" + std::string(name.substr(0, 64)) +
                      "}}; known: number, title, type, action, state, previous_state, actor, "
                      "requester, executor_group, priority",
                  where);
    }
    at = close + 2;
  }
  return ok();
}

std::string render_template(std::string_view text, const std::map<std::string, std::string>& values,
                            std::size_t max_bytes) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size() && out.size() <= max_bytes) {
    auto open = text.find("{{", at);
    if (open == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, open - at));
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(open));
      break;
    }
    auto it = values.find(std::string(text.substr(open + 2, close - open - 2)));
    if (it != values.end()) out += it->second;
    at = close + 2;
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    // Back to the start of a UTF-8 character (not a continuation byte 10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

Result<std::map<std::string, MessageTemplate>> templates_from_json(const json& j) {
  if (!j.is_object()) return fail("protocol.wrong_type", "templates is an object", "templates");
  std::map<std::string, MessageTemplate> out;
  for (const auto& [key, value] : j.items()) {
    const std::string where = "templates." + key.substr(0, 64);
    if (!valid_template_event(key)) {
      return fail("release_type.unknown_event",
                  "templates are for created, closed, transition or a lifecycle action", where);
    }
    if (!value.is_object()) return fail("protocol.wrong_type", "a template is an object", where);
    protocol::JsonReader r(value, where);
    MessageTemplate t;
    t.subject = r.string("subject", kMaxTemplateSubject);
    t.body = r.string("body", kMaxTemplateBody);
    RELMAN_CHECK(r.finish_strict());
    RELMAN_CHECK(check_template(t.subject, where + ".subject"));
    RELMAN_CHECK(check_template(t.body, where + ".body"));
    out.emplace(key, std::move(t));
  }
  return out;
}

Result<ReleaseType> parse_release_type(const json& body) {
  protocol::JsonReader r(body);
  ReleaseType t;
  t.name = r.string("name", 64);
  if (!r.ok()) return fail(*r.error());
  if (!valid_release_type_name(t.name)) {
    return fail("release_type.invalid_name", "a release type name is 1 to 64 of a-z, 0-9, _ and -",
                "name");
  }
  t.description = r.optional_string("description", kMaxTypeDescription).value_or("");
  RELMAN_TRY(group, group_field(r, "executor_group"));
  t.executor_group = std::move(group);
  RELMAN_TRY(groups, groups_field(r, "notify_groups"));
  if (groups) t.notify_groups = std::move(*groups);
  RELMAN_TRY(templates, templates_field(r));
  if (templates) t.templates = std::move(*templates);
  RELMAN_CHECK(r.finish_strict());
  return t;
}

Result<ReleaseTypePatch> parse_release_type_patch(const json& body) {
  protocol::JsonReader r(body);
  ReleaseTypePatch p;
  p.description = r.optional_string("description", kMaxTypeDescription);
  if (body.contains("executor_group")) {
    RELMAN_TRY(group, group_field(r, "executor_group"));
    p.executor_group = std::move(group);
  }
  RELMAN_TRY(groups, groups_field(r, "notify_groups"));
  p.notify_groups = std::move(groups);
  RELMAN_TRY(templates, templates_field(r));
  p.templates = std::move(templates);
  RELMAN_CHECK(r.finish_strict());
  if (!p.description && !p.executor_group && !p.notify_groups && !p.templates) {
    return fail("protocol.missing_field",
                "give at least one of description, executor_group, notify_groups, templates",
                "fields");
  }
  return p;
}

ReleaseType apply_patch(ReleaseType current, const ReleaseTypePatch& patch) {
  if (patch.description) current.description = *patch.description;
  if (patch.executor_group) current.executor_group = *patch.executor_group;
  if (patch.notify_groups) current.notify_groups = *patch.notify_groups;
  if (patch.templates) current.templates = *patch.templates;
  return current;
}

json templates_to_json(const std::map<std::string, MessageTemplate>& templates) {
  json out = json::object();
  for (const auto& [key, t] : templates) out[key] = {{"subject", t.subject}, {"body", t.body}};
  return out;
}

json to_json(const ReleaseType& t) {
  return json{{"name", t.name},
              {"description", t.description},
              {"executor_group", t.executor_group},
              {"notify_groups", t.notify_groups},
              {"templates", templates_to_json(t.templates)},
              {"version", t.version},
              {"created_by", t.created_by},
              {"created_at", t.created_at},
              {"updated_at", t.updated_at}};
}

}  // namespace relman::controller
