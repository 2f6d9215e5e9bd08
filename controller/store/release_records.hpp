// What the store keeps of a release: the server's fields (id, number, priority, times), the
// descriptive fields (releases/release_request.hpp) and the lifecycle (releases/lifecycle.hpp),
// plus the queries the API runs over them. Times are unix seconds (UTC).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "controller/releases/lifecycle.hpp"
#include "controller/releases/release_request.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct ReleaseRecord {
  std::int64_t id = 0;
  std::string number;  // "REL-000001"
  int priority = 4;    // 1..5 from impact × urgency (releases/priority.hpp)
  std::string created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  ReleaseFields fields;
  ReleaseState lifecycle;  // lifecycle.version is the optimistic lock
};

// Filters for the release search; empty/absent ones match everything. `text` matches title,
// description and number (substring, case-insensitive for ASCII). from/to bound created_at.
struct ReleaseQuery {
  std::optional<LifecycleState> state;
  std::optional<int> priority;
  std::string executor_group;
  std::string requester;
  std::string text;
  std::optional<std::int64_t> from;
  std::optional<std::int64_t> to;
};

enum class ReleaseCountKey { state, priority, executor_group };

struct ReleaseCount {
  std::string key;
  std::int64_t count = 0;
};

// A change to one release, decided from its current record inside the store's transaction:
// returns the record to write (the store checks it bumps the version by one) and what the
// audit entry says besides before/after, or the reason to write nothing.
struct ReleaseChange {
  ReleaseRecord next;
  nlohmann::json audit_detail = nlohmann::json::object();
  // Closing: the linked CIs in stage development move to production, each as a CI version
  // (change "promote") in the same transaction; the audit detail lists them.
  bool promote_linked_cis = false;
};
using ReleaseChangeFn = std::function<Result<ReleaseChange>(const ReleaseRecord& current)>;

}  // namespace relman::controller
