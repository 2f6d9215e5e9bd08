// The store's part for release records (issue #3). Every change is one transaction that
// re-reads the release, lets the caller decide (ReleaseChangeFn: the lifecycle and permission
// checks run on the record as it is in that transaction), writes the new record only if its
// version is still the one read, and appends the audit entry {before, after, ...} with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/store/records.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

class ReleaseStore {
 public:
  virtual ~ReleaseStore() = default;

  // Assigns id and number; audit action "release.create".
  virtual Result<ReleaseRecord> register_release(const ReleaseRecord& draft,
                                                 const std::string& actor) = 0;
  virtual Result<std::optional<ReleaseRecord>> get_release(std::int64_t id) = 0;
  // release.not_found; the change's error as is; release.version_conflict when
  // next.lifecycle.version is not current + 1. Audit action "release.<action>".
  virtual Result<ReleaseRecord> change_release(std::int64_t id, const std::string& action,
                                               const ReleaseChangeFn& change,
                                               const std::string& actor) = 0;
  // Newest first.
  virtual Result<std::vector<ReleaseRecord>> search_releases(const ReleaseQuery& query,
                                                             const Page& page) = 0;
  virtual Result<std::vector<ReleaseCount>> count_releases(const ReleaseQuery& query,
                                                           ReleaseCountKey by) = 0;
  // The release's audit entries, oldest first.
  virtual Result<std::vector<AuditEntry>> release_history(std::int64_t id, const Page& page) = 0;

  // Execution records. add: the note goes to the release's current execution, which must be
  // open (in execution, in test or homologation, or suspended from one of them), checked in
  // the same transaction; release.not_found, release.no_open_execution. Audited as
  // release.execution_note. The store sets id, execution, author and at.
  virtual Result<ExecutionNote> add_execution_note(std::int64_t release_id,
                                                   const ExecutionNote& note,
                                                   const std::string& actor) = 0;
  // Oldest first, all of them (a release has at most kMaxExecutionNotes).
  virtual Result<std::vector<ExecutionNote>> list_execution_notes(std::int64_t release_id) = 0;
};

}  // namespace relman::controller
