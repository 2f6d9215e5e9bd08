// What a release event tells whom: the message (the release type's template for the event,
// or the built-in default) and its recipients — the requester, the current responsible, the
// executor group, the users and groups the release is shared with, the groups subscribed to
// the release and the groups the release type notifies. The store puts it in the audit
// detail ("notification") of release.create and of every lifecycle transition, so the event
// stream and webhooks can deliver each event to the people it is for. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/releases/release_type.hpp"
#include "controller/store/release_records.hpp"

namespace relman::controller {

inline constexpr std::size_t kMaxRenderedSubject = 400;
inline constexpr std::size_t kMaxRenderedBody = 8000;

struct NotificationInput {
  const ReleaseRecord* before = nullptr;  // null for "create"
  const ReleaseRecord* after = nullptr;
  std::string action;  // "create" or a lifecycle action name
  std::string actor;
  const ReleaseType* type = nullptr;  // null: no (known) type, default templates
  std::vector<std::string> subscribed_groups;
};

// {"event": "created"|"transition"|"closed", "template": "type"|"default", "subject", "body",
//  "recipients": {"users": [...], "groups": [...]}} (names sorted, unique).
nlohmann::json release_notification(const NotificationInput& in);

// The default template of an event ("created", "transition", "closed").
const MessageTemplate& default_template(std::string_view event);

}  // namespace relman::controller
