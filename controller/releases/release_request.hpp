// Strict parsing of the JSON bodies the API accepts for releases: create, update (partial,
// with the optimistic-lock version) and lifecycle transitions. Types, lengths, enums and
// list sizes are checked, unknown fields are refused, and every error names its field
// (protocol.* codes from protocol/json_reader.hpp, plus release.invalid_period).
// Times are unix seconds (UTC integers), like every other time in the API.
// Text is kept verbatim: quotes, semicolons and other SQL metacharacters are just text
// (the store uses prepared statements); control characters are refused except tab, CR and LF
// in multi-line text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/releases/approval.hpp"
#include "controller/releases/lifecycle.hpp"
#include "controller/releases/principal.hpp"
#include "controller/releases/priority.hpp"
#include "protocol/error.hpp"
#include "protocol/json_limits.hpp"

namespace relman::controller {

inline constexpr std::size_t kMaxTitleLength = 200;
inline constexpr std::size_t kMaxLinkedChanges = 100;
inline constexpr std::size_t kMaxLinkedCis = 1000;
inline constexpr std::size_t kMaxLinkedPackageVersions = 100;
inline constexpr std::size_t kMaxOccurrences = 500;
inline constexpr std::size_t kMaxScheduledActivities = 200;
inline constexpr std::size_t kMaxSharedWith = 100;
inline constexpr std::int64_t kMaxMinutes = 525600;            // one year
inline constexpr std::int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

struct LinkedChange {
  std::string id;  // the change's id in the change process (RFC number)
  std::string title;
  std::string rollback_plan;
  bool operator==(const LinkedChange&) const = default;
};

struct Occurrence {
  std::string category;
  std::string source;
  std::int64_t minutes_spent = 0;
  std::string description;
  bool operator==(const Occurrence&) const = default;
};

struct ScheduledActivity {
  std::string group;
  std::string guidelines;
  std::int64_t date = 0;  // unix seconds
  std::int64_t estimated_minutes = 0;
  bool operator==(const ScheduledActivity&) const = default;
};

// What an executor wrote down during execution number `execution` of a release.
inline constexpr std::int64_t kMaxExecutionNotes = 2000;  // per release
struct ExecutionNote {
  std::int64_t id = 0;
  std::int64_t release_id = 0;
  std::int64_t execution = 0;
  std::string author;
  std::int64_t at = 0;
  std::int64_t minutes_spent = 0;
  std::string description;
  bool operator==(const ExecutionNote&) const = default;
};

// The descriptive fields of a release record: what create sets and update changes. The
// lifecycle fields (state, responsible, solution ...) are ReleaseState's and change only
// through transitions; number and priority are the server's.
struct ReleaseFields {
  std::string title;
  std::string description;
  std::string type;  // release type name; empty: none
  Rating risk = Rating::medium;
  Rating impact = Rating::medium;
  Rating urgency = Rating::medium;
  std::optional<std::int64_t> planned_start;
  std::optional<std::int64_t> planned_end;
  std::string release_version;  // the release's version label ("2024.1")
  std::vector<LinkedChange> linked_changes;
  std::vector<std::int64_t> linked_cis;               // CI ids
  std::vector<std::int64_t> linked_package_versions;  // DML package ids
  std::vector<Occurrence> occurrences;
  std::vector<ScheduledActivity> scheduled_activities;
  ApprovalPolicy approval_policy = ApprovalPolicy::majority;
  std::vector<std::string> approvers;  // sorted, unique; empty: no homologation vote
  bool operator==(const ReleaseFields&) const = default;
};

struct CreateReleaseRequest {
  ReleaseFields fields;
  std::optional<std::string> requester;       // absent: the logged-in user
  std::optional<std::string> executor_group;  // absent: the release type's
  std::optional<Principal> current_responsible;
  std::vector<Principal> shared_with;  // sorted, unique
};

// Absent fields stay as they are; a present list replaces the whole list.
struct UpdateReleaseRequest {
  std::int64_t expected_version = 0;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> type;
  std::optional<Rating> risk;
  std::optional<Rating> impact;
  std::optional<Rating> urgency;
  std::optional<std::int64_t> planned_start;
  std::optional<std::int64_t> planned_end;
  std::optional<std::string> release_version;
  std::optional<std::vector<LinkedChange>> linked_changes;
  std::optional<std::vector<std::int64_t>> linked_cis;
  std::optional<std::vector<std::int64_t>> linked_package_versions;
  std::optional<std::vector<Occurrence>> occurrences;
  std::optional<std::vector<ScheduledActivity>> scheduled_activities;
  std::optional<ApprovalPolicy> approval_policy;
  std::optional<std::vector<std::string>> approvers;
};

// Bodies: see controller/README.md ("Release request bodies").
Result<CreateReleaseRequest> parse_create_release(const nlohmann::json& body);
// The optimistic lock comes as "expected_version" in the body or as `if_match` (the API's
// If-Match header); neither is protocol.missing_field, both disagreeing protocol.invalid_value.
// At least one field besides "expected_version" (protocol.missing_field on "fields" otherwise).
Result<UpdateReleaseRequest> parse_update_release(
    const nlohmann::json& body, std::optional<std::int64_t> if_match = std::nullopt);
// {"action", "expected_version", ...the action's fields}; a field the action does not take is
// protocol.unknown_field. Required fields are checked by apply() (release.field_required).
Result<TransitionRequest> parse_transition_request(
    const nlohmann::json& body, std::optional<std::int64_t> if_match = std::nullopt);

// {"description", "minutes_spent"?}: the text is required (multi-line, ≤ the long-text limit),
// minutes 0 … kMaxMinutes (default 0); unknown fields are refused.
Result<ExecutionNote> parse_execution_note(const nlohmann::json& body);

// Merges an update into the current fields and checks what spans both (planned end ≥ start).
Result<ReleaseFields> apply_update(const ReleaseFields& current, const UpdateReleaseRequest& u);

// Planned end before start: release.invalid_period (context planned_end).
Result<void> check_period(const ReleaseFields& f);

nlohmann::json to_json(const ReleaseFields& f);
nlohmann::json to_json(const Principal& p);

}  // namespace relman::controller
