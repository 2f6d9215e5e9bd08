// Release priority 1 (most urgent) to 5 from impact × urgency, through a configurable matrix.
// The matrix is JSON keyed by impact, then urgency, every cell present:
//   {"critical": {"critical": 1, "high": 1, "medium": 2, "low": 3}, "high": {...}, ...}
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller {

// The scale for impact, urgency and risk.
enum class Rating { low, medium, high, critical };

inline constexpr std::array kAllRatings = {Rating::low, Rating::medium, Rating::high,
                                           Rating::critical};
inline constexpr int kHighestPriority = 1;
inline constexpr int kLowestPriority = 5;

std::string_view rating_name(Rating r);
std::optional<Rating> parse_rating(std::string_view s);

class PriorityMatrix {
 public:
  // Every cell must be within 1..5; use parse_priority_matrix for untrusted input.
  explicit PriorityMatrix(const std::array<std::array<int, 4>, 4>& cells) : cells_(cells) {}

  int priority(Rating impact, Rating urgency) const {
    return cells_[static_cast<std::size_t>(impact)][static_cast<std::size_t>(urgency)];
  }

  bool operator==(const PriorityMatrix&) const = default;

 private:
  std::array<std::array<int, 4>, 4> cells_;  // [impact][urgency]
};

//            urgency: low medium high critical
// impact low          5    5      4    3
//        medium       5    4      3    2
//        high         4    3      2    1
//        critical     3    2      1    1
PriorityMatrix default_priority_matrix();

// Strict: an object with exactly the four impact keys, each an object with exactly the four
// urgency keys, each an integer 1..5. Errors are protocol.* and name the cell, e.g.
// "priority_matrix.high.low".
Result<PriorityMatrix> parse_priority_matrix(const nlohmann::json& doc,
                                             std::string where = "priority_matrix");

nlohmann::json to_json(const PriorityMatrix& m);

}  // namespace relman::controller
