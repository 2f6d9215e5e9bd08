// Which events are for whom: a release event's audit detail carries "notification" with its
// recipients (releases/notification.hpp). A RecipientFilter with users and/or groups lets
// through only the events addressed to one of them; an empty filter lets everything through
// (the audit view of GET /events). Used by GET /notifications (the caller and its groups) and
// by webhooks configured with "users"/"groups".
#pragma once

#include <set>
#include <string>

#include "controller/events/event_bus.hpp"

namespace relman::controller {

class RecipientFilter {
 public:
  RecipientFilter() = default;
  RecipientFilter(std::set<std::string> users, std::set<std::string> groups);

  bool empty() const { return users_.empty() && groups_.empty(); }
  // True for every event when empty; otherwise when the event's notification names one of
  // the users or groups as a recipient.
  bool matches(const Event& event) const;

 private:
  std::set<std::string> users_;
  std::set<std::string> groups_;
};

// The caller and the caller's groups (GET /notifications).
RecipientFilter recipients_of(const User& user);

}  // namespace relman::controller
