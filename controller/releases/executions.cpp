#include "controller/releases/executions.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace relman::controller {
namespace {
using nlohmann::json;

constexpr std::string_view kReleasePrefix = "release.";

std::optional<std::int64_t> to_number(const std::string& s) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n <= 0) return std::nullopt;
  return n;
}

ExecutionRecord& record_numbered(std::vector<ExecutionRecord>& out, std::int64_t number) {
  auto at = std::find_if(out.begin(), out.end(),
                         [&](const ExecutionRecord& e) { return e.number == number; });
  if (at != out.end()) return *at;
  ExecutionRecord e;
  e.number = number;
  out.push_back(std::move(e));
  return out.back();
}

}  // namespace

std::vector<ExecutionRecord> executions_of(const std::vector<AuditEntry>& history,
                                           const std::vector<ExecutionNote>& notes) {
  std::vector<ExecutionRecord> out;
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t open = kNone;  // index into out of the execution running now
  for (const auto& entry : history) {
    if (!entry.action.starts_with(kReleasePrefix)) continue;
    auto detail = json::parse(entry.detail_json, nullptr, false);
    if (!detail.is_object() || !detail.contains("effects") || !detail["effects"].is_array()) {
      continue;
    }
    const std::string action = entry.action.substr(kReleasePrefix.size());
    for (const auto& effect : detail["effects"]) {
      if (!effect.is_object()) continue;
      const std::string kind = effect.value("kind", "");
      const std::string what = effect.value("detail", "");
      if (kind == "execution_started") {
        auto number = to_number(what);
        if (!number) continue;
        auto& e = record_numbered(out, *number);
        e.started_at = entry.at;
        e.started_by = entry.actor;
        e.started_with = action;
        open = static_cast<std::size_t>(&e - out.data());
      } else if (kind == "execution_ended" && open != kNone) {
        auto& e = out[open];
        e.ended_at = entry.at;
        e.ended_by = entry.actor;
        e.ended_with = action;
        e.outcome = what;
        open = kNone;
      }
    }
  }
  for (const auto& n : notes) {
    auto& e = record_numbered(out, n.execution);
    e.minutes_spent += n.minutes_spent;
    e.notes.push_back(n);
  }
  std::sort(out.begin(), out.end(),
            [](const ExecutionRecord& a, const ExecutionRecord& b) { return a.number < b.number; });
  return out;
}

json to_json(const ExecutionNote& n) {
  return json{{"id", n.id}, {"execution", n.execution},         {"author", n.author},
              {"at", n.at}, {"minutes_spent", n.minutes_spent}, {"description", n.description}};
}

json to_json(const ExecutionRecord& e) {
  json notes = json::array();
  for (const auto& n : e.notes) notes.push_back(to_json(n));
  return json{{"number", e.number},
              {"started_at", e.started_at},
              {"started_by", e.started_by},
              {"started_with", e.started_with},
              {"ended_at", e.ended_at ? json(*e.ended_at) : json(nullptr)},
              {"ended_by", e.ended_by},
              {"ended_with", e.ended_with},
              {"outcome", e.outcome.empty() ? json(nullptr) : json(e.outcome)},
              {"open", !e.ended_at.has_value() && e.started_at > 0},
              {"minutes_spent", e.minutes_spent},
              {"notes", notes}};
}

}  // namespace relman::controller
