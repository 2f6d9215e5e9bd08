// Execution records of a release: each execution (start_execution, new_execution or reopen
// opens one; solve, mark_unresolved, a lost homologation vote or cancel ends it) with who
// started and ended it, when, the outcome, and the notes the executors wrote during it.
// The executions are read from the release's audit entries (the lifecycle's side effects
// execution_started / execution_ended), so they are exactly what the audit log says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "controller/releases/release_request.hpp"
#include "controller/store/records.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct ExecutionRecord {
  std::int64_t number = 0;
  std::int64_t started_at = 0;  // 0: the audit log does not say (notes without a start entry)
  std::string started_by;
  std::string started_with;              // the action: start_execution, new_execution or reopen
  std::optional<std::int64_t> ended_at;  // empty while the execution is open
  std::string ended_by;
  std::string ended_with;  // the action that ended it
  std::string outcome;     // solved | unresolved | cancelled; empty while open
  std::vector<ExecutionNote> notes;
  std::int64_t minutes_spent = 0;  // the notes' sum
};

// `history`: the release's audit entries, oldest first; `notes`: its notes, oldest first.
// Entries whose detail is not a transition's are skipped. Numbered in order, oldest first.
std::vector<ExecutionRecord> executions_of(const std::vector<AuditEntry>& history,
                                           const std::vector<ExecutionNote>& notes);

nlohmann::json to_json(const ExecutionRecord& e);
nlohmann::json to_json(const ExecutionNote& n);

}  // namespace relman::controller
