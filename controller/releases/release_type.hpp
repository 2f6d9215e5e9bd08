// Release types: what kind of release a record is (a name such as "standard" or "emergency"),
// which group executes it by default, which groups are told about every release of the type,
// and the notification templates for its events. A template is a subject and a body with
// {{placeholder}}s from a fixed list; anything else is refused when the type is saved, so a
// stored template always renders. Pure: no store, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller {

inline constexpr std::size_t kMaxTemplateSubject = 200;
inline constexpr std::size_t kMaxTemplateBody = 4000;
inline constexpr std::size_t kMaxTypeDescription = 2000;
inline constexpr std::size_t kMaxNotifyGroups = 100;

struct MessageTemplate {
  std::string subject;
  std::string body;
  bool operator==(const MessageTemplate&) const = default;
};

// Keys of ReleaseType::templates: "created", "closed" (the close action), "transition" (any
// other action without its own template) and each lifecycle action name but "close".
bool valid_template_event(std::string_view key);
// The placeholders a template may use, without braces: number, title, type, action, state,
// previous_state, actor, requester, executor_group, priority.
const std::vector<std::string_view>& template_placeholders();

struct ReleaseType {
  std::string name;  // 1..64 of [a-z0-9_-]
  std::string description;
  std::string executor_group;              // "" or an existing group (the store checks)
  std::vector<std::string> notify_groups;  // sorted, unique; existing groups (the store checks)
  std::map<std::string, MessageTemplate> templates;
  std::int64_t version = 0;  // bumped by every change
  std::string created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// PATCH: absent fields stay; a present templates object replaces all templates.
struct ReleaseTypePatch {
  std::optional<std::string> description;
  std::optional<std::string> executor_group;
  std::optional<std::vector<std::string>> notify_groups;
  std::optional<std::map<std::string, MessageTemplate>> templates;
};

bool valid_release_type_name(std::string_view name);

// {name, description?, executor_group?, notify_groups?, templates?: {event: {subject, body}}}.
// Errors: protocol.* naming the field, release_type.invalid_name,
// release_type.unknown_event (context templates.<key>), release_type.unknown_placeholder and
// release_type.invalid_template (context templates.<key>.subject|body).
Result<ReleaseType> parse_release_type(const nlohmann::json& body);
// The same fields but name; at least one (protocol.missing_field "fields").
Result<ReleaseTypePatch> parse_release_type_patch(const nlohmann::json& body);
ReleaseType apply_patch(ReleaseType current, const ReleaseTypePatch& patch);

// Checks one template text: every "{{" closes with "}}" around a known placeholder.
Result<void> check_template(std::string_view text, const std::string& where);
// Replaces every {{placeholder}} with its value (missing values: ""); the result is cut to
// `max_bytes` at a UTF-8 character boundary.
std::string render_template(std::string_view text, const std::map<std::string, std::string>& values,
                            std::size_t max_bytes);

nlohmann::json to_json(const ReleaseType& t);
nlohmann::json templates_to_json(const std::map<std::string, MessageTemplate>& templates);
// Reads what templates_to_json wrote (stored rows); the same checks as the API.
Result<std::map<std::string, MessageTemplate>> templates_from_json(const nlohmann::json& j);

}  // namespace relman::controller
