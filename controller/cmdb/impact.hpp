// Impact analysis: which services and hosts a change to one CI affects, transitively, each
// with the chain of relationships that explains why. The graph is read through a callback
// (the store's, or a map in tests) so only the part the change reaches is loaded. A
// breadth-first walk visits each CI once, so cycles end and each explanation is a shortest one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller::cmdb {

struct CiRef {
  std::int64_t id = 0;
  std::string class_name;
  std::string name;
};

struct RelationshipEdge {
  std::int64_t id = 0;
  std::string type;
  CiRef from;
  CiRef to;
};

// One hop of an explanation: the change reached `to` from `from` through relationship `via`.
struct ImpactStep {
  CiRef from;
  CiRef to;
  RelationshipEdge via;
};

struct AffectedCi {
  CiRef ci;
  std::vector<ImpactStep> path;  // from the changed CI to this one
};

struct ImpactReport {
  CiRef origin;
  std::vector<AffectedCi> affected;  // hosts and services, nearest first, then by id
  std::size_t visited = 0;           // CIs the walk reached, of any class
};

// Every relationship that has `ci_id` at either end.
using EdgesOf = std::function<Result<std::vector<RelationshipEdge>>(std::int64_t ci_id)>;

inline constexpr std::size_t kMaxImpactVisits = 100000;

// Errors from `edges_of` pass through; more than `max_visits` CIs reached is
// cmdb.impact_too_large.
Result<ImpactReport> analyze_impact(const CiRef& origin, const EdgesOf& edges_of,
                                    std::size_t max_visits = kMaxImpactVisits);

nlohmann::json to_json(const ImpactReport& r);

}  // namespace relman::controller::cmdb
