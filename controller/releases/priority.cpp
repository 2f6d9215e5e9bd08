#include "controller/releases/priority.hpp"

#include "protocol/json_reader.hpp"

namespace relman::controller {

std::string_view rating_name(Rating r) {
  switch (r) {
    case Rating::low:
      return "low";
    case Rating::medium:
      return "medium";
    case Rating::high:
      return "high";
    case Rating::critical:
      return "critical";
  }
  return "low";
}

std::optional<Rating> parse_rating(std::string_view s) {
  for (auto r : kAllRatings) {
    if (rating_name(r) == s) return r;
  }
  return std::nullopt;
}

PriorityMatrix default_priority_matrix() {
  return PriorityMatrix({{
      {5, 5, 4, 3},  // impact low
      {5, 4, 3, 2},  // impact medium
      {4, 3, 2, 1},  // impact high
      {3, 2, 1, 1},  // impact critical
  }});
}

Result<PriorityMatrix> parse_priority_matrix(const nlohmann::json& doc, std::string where) {
  std::array<std::array<int, 4>, 4> cells{};
  protocol::JsonReader outer(doc, where);
  for (auto impact : kAllRatings) {
    const auto* row = outer.object(rating_name(impact));
    if (!row || !outer.ok()) break;  // the first error wins
    protocol::JsonReader inner(*row, outer.field_name(rating_name(impact)));
    for (auto urgency : kAllRatings) {
      cells[static_cast<std::size_t>(impact)][static_cast<std::size_t>(urgency)] =
          static_cast<int>(inner.integer(rating_name(urgency), kHighestPriority, kLowestPriority));
    }
    RELMAN_CHECK(inner.finish_strict());
  }
  RELMAN_CHECK(outer.finish_strict());
  return PriorityMatrix(cells);
}

nlohmann::json to_json(const PriorityMatrix& m) {
  nlohmann::json out = nlohmann::json::object();
  for (auto impact : kAllRatings) {
    auto& row = out[std::string(rating_name(impact))];
    for (auto urgency : kAllRatings) {
      row[std::string(rating_name(urgency))] = m.priority(impact, urgency);
    }
  }
  return out;
}

}  // namespace relman::controller
