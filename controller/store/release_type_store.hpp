// The store's part for release types and release subscriptions (issue #3: "release types
// choose the executor group and notification templates"; notifications go "to the requester
// and the groups that asked for it"). Every change appends its audit entry in the same
// transaction: release_type.create, release_type.update, release.subscribe,
// release.unsubscribe. Errors: release_type.exists, release_type.not_found,
// release_type.unknown_group (context: the group), release.not_found,
// release.unknown_group.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/releases/release_type.hpp"
#include "controller/store/records.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct ReleaseSubscription {
  std::string group;
  std::string added_by;
  std::int64_t added_at = 0;
};

// Given the type as stored, the type to write (name and version are the store's).
using ReleaseTypeChangeFn = std::function<Result<ReleaseType>(const ReleaseType& current)>;

class ReleaseTypeStore {
 public:
  virtual ~ReleaseTypeStore() = default;

  // The executor group and the notify groups must exist.
  virtual Result<ReleaseType> create_release_type(const ReleaseType& type,
                                                  const std::string& actor) = 0;
  virtual Result<ReleaseType> change_release_type(const std::string& name,
                                                  const ReleaseTypeChangeFn& change,
                                                  const std::string& actor) = 0;
  virtual Result<std::optional<ReleaseType>> get_release_type(const std::string& name) = 0;
  // By name.
  virtual Result<std::vector<ReleaseType>> list_release_types(const Page& page) = 0;

  // The group must exist. Returns false when it was subscribed already (nothing audited).
  virtual Result<bool> subscribe_release(std::int64_t release_id, const std::string& group,
                                         const std::string& actor) = 0;
  // Returns false when it was not subscribed (nothing audited).
  virtual Result<bool> unsubscribe_release(std::int64_t release_id, const std::string& group,
                                           const std::string& actor) = 0;
  // By group name. release.not_found.
  virtual Result<std::vector<ReleaseSubscription>> release_subscriptions(
      std::int64_t release_id) = 0;
};

}  // namespace relman::controller
