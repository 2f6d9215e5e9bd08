#include "controller/events/event_bus.hpp"

#include <algorithm>

namespace relman::controller {

Event event_from_audit(const AuditEntry& entry) {
  return Event{entry.id,          entry.at,        entry.action,     entry.actor,
               entry.object_type, entry.object_id, entry.detail_json};
}

nlohmann::json to_json(const Event& event) {
  auto detail = nlohmann::json::parse(event.detail_json, nullptr, false);
  return nlohmann::json{
      {"id", event.id},
      {"at", event.at},
      {"type", event.type},
      {"actor", event.actor},
      {"object_type", event.object_type},
      {"object_id", event.object_id},
      {"detail", detail.is_discarded() ? nlohmann::json(event.detail_json) : detail}};
}

std::string to_sse(const Event& event) {
  // The JSON dump has no raw newlines, so one data line carries it.
  return "id: " + std::to_string(event.id) + "\nevent: " + event.type +
         "\ndata: " + to_json(event).dump() + "\n\n";
}

namespace {

bool valid_type_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

}  // namespace

Result<EventFilter> EventFilter::parse(const std::string& spec) {
  EventFilter filter;
  std::size_t start = 0;
  while (start <= spec.size() && !spec.empty()) {
    auto comma = spec.find(',', start);
    auto item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::string body = item;
    if (body.size() >= 2 && body.ends_with(".*")) body.resize(body.size() - 1);
    if (body.empty() || body.size() > 64 ||
        !std::all_of(body.begin(), body.end(), valid_type_char)) {
      return fail("request.invalid_filter",
                  "an event type is lower-case words joined by dots, optionally ending in \".*\"",
                  item);
    }
    filter.patterns_.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return filter;
}

bool EventFilter::matches(const std::string& type) const {
  if (patterns_.empty()) return true;
  for (const auto& p : patterns_) {
    if (p.ends_with(".*")) {
      if (type.starts_with(std::string_view(p).substr(0, p.size() - 1))) return true;
    } else if (type == p) {
      return true;
    }
  }
  return false;
}

EventBus::EventBus(std::size_t queue_limit) : queue_limit_(queue_limit) {}

void EventBus::publish(const Event& event) {
  std::lock_guard lock(mu_);
  if (event.id <= last_id_) return;
  last_id_ = event.id;
  std::erase_if(subscribers_, [&](const std::weak_ptr<Subscription>& weak) {
    auto sub = weak.lock();
    if (!sub) return true;
    std::lock_guard sub_lock(sub->mu_);
    if (sub->overflowed_) return true;
    if (sub->queue_.size() >= sub->limit_) {
      sub->overflowed_ = true;
      sub->queue_.clear();
      return true;
    }
    sub->queue_.push_back(event);
    return false;
  });
}

std::int64_t EventBus::last_id() const {
  std::lock_guard lock(mu_);
  return last_id_;
}

void EventBus::start_after(std::int64_t id) {
  std::lock_guard lock(mu_);
  last_id_ = std::max(last_id_, id);
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe() {
  auto sub = std::make_shared<Subscription>();
  sub->limit_ = queue_limit_;
  std::lock_guard lock(mu_);
  subscribers_.push_back(sub);
  return sub;
}

std::optional<std::vector<Event>> EventBus::Subscription::take() {
  std::lock_guard lock(mu_);
  if (overflowed_) return std::nullopt;
  std::vector<Event> out;
  out.swap(queue_);
  return out;
}

}  // namespace relman::controller
