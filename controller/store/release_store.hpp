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
};

}  // namespace relman::controller
