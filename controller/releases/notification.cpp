#include "controller/releases/notification.hpp"

#include <map>
#include <set>

#include "controller/releases/principal.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

void add_principal(const Principal& p, std::set<std::string>& users,
                   std::set<std::string>& groups) {
  if (p.name.empty()) return;
  (p.kind == PrincipalKind::user ? users : groups).insert(p.name);
}

void add_state(const ReleaseState& s, std::set<std::string>& users, std::set<std::string>& groups) {
  if (!s.requester.empty()) users.insert(s.requester);
  if (!s.executor_group.empty()) groups.insert(s.executor_group);
  add_principal(s.current_responsible, users, groups);
  for (const auto& p : s.shared_with) add_principal(p, users, groups);
}

}  // namespace

const MessageTemplate& default_template(std::string_view event) {
  static const MessageTemplate kCreated{
      "{{number}} registered: {{title}}",
      "{{actor}} registered release {{number}} \"{{title}}\" for {{requester}} (executor group "
      "{{executor_group}}, priority {{priority}})."};
  static const MessageTemplate kClosed{
      "{{number}} closed: {{title}}",
      "{{actor}} closed release {{number}} \"{{title}}\" (it was {{previous_state}})."};
  static const MessageTemplate kTransition{
      "{{number}} {{action}}: {{state}}",
      "{{actor}} did {{action}} on release {{number}} \"{{title}}\": {{previous_state}} -> "
      "{{state}}."};
  if (event == "created") return kCreated;
  if (event == "closed") return kClosed;
  return kTransition;
}

json release_notification(const NotificationInput& in) {
  const ReleaseRecord& r = *in.after;
  const std::string event = in.action == "create"  ? "created"
                            : in.action == "close" ? "closed"
                                                   : "transition";
  // The type's template for the event: its own key ("created", "closed" or the action), then
  // "transition" for an action without one; otherwise the default.
  const MessageTemplate* chosen = nullptr;
  if (in.type) {
    const auto& t = in.type->templates;
    const std::string own = event == "transition" ? in.action : event;
    if (auto it = t.find(own); it != t.end()) {
      chosen = &it->second;
    } else if (auto tr = t.find("transition"); event == "transition" && tr != t.end()) {
      chosen = &tr->second;
    }
  }
  const bool from_type = chosen != nullptr;
  if (!chosen) chosen = &default_template(event);

  const std::map<std::string, std::string> values = {
      {"number", r.number},
      {"title", r.fields.title},
      {"type", r.fields.type},
      {"action", in.action},
      {"state", std::string(lifecycle_state_name(r.lifecycle.state))},
      {"previous_state",
       in.before ? std::string(lifecycle_state_name(in.before->lifecycle.state)) : ""},
      {"actor", in.actor},
      {"requester", r.lifecycle.requester},
      {"executor_group", r.lifecycle.executor_group},
      {"priority", std::to_string(r.priority)}};

  std::set<std::string> users, groups;
  add_state(r.lifecycle, users, groups);
  // Whoever had the release before the change hears about it too (a delegation, a capture).
  if (in.before) add_state(in.before->lifecycle, users, groups);
  for (const auto& g : in.subscribed_groups) groups.insert(g);
  if (in.type) groups.insert(in.type->notify_groups.begin(), in.type->notify_groups.end());

  return json{{"event", event},
              {"template", from_type ? "type" : "default"},
              {"subject", render_template(chosen->subject, values, kMaxRenderedSubject)},
              {"body", render_template(chosen->body, values, kMaxRenderedBody)},
              {"recipients",
               {{"users", std::vector<std::string>(users.begin(), users.end())},
                {"groups", std::vector<std::string>(groups.begin(), groups.end())}}}};
}

}  // namespace relman::controller
