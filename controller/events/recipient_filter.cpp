#include "controller/events/recipient_filter.hpp"

#include <nlohmann/json.hpp>

namespace relman::controller {

RecipientFilter::RecipientFilter(std::set<std::string> users, std::set<std::string> groups)
    : users_(std::move(users)), groups_(std::move(groups)) {}

RecipientFilter recipients_of(const User& user) {
  return RecipientFilter({user.username},
                         std::set<std::string>(user.groups.begin(), user.groups.end()));
}

bool RecipientFilter::matches(const Event& event) const {
  if (empty()) return true;
  // Cheap test first: most audit entries are not notifications.
  if (event.detail_json.find("\"notification\"") == std::string::npos) return false;
  auto detail = nlohmann::json::parse(event.detail_json, nullptr, false);
  if (!detail.is_object()) return false;
  auto n = detail.find("notification");
  if (n == detail.end() || !n->is_object()) return false;
  auto r = n->find("recipients");
  if (r == n->end() || !r->is_object()) return false;
  auto any_of = [&](const char* key, const std::set<std::string>& wanted) {
    auto list = r->find(key);
    if (wanted.empty() || list == r->end() || !list->is_array()) return false;
    for (const auto& name : *list) {
      if (name.is_string() && wanted.contains(name.get<std::string>())) return true;
    }
    return false;
  };
  return any_of("users", users_) || any_of("groups", groups_);
}

}  // namespace relman::controller
