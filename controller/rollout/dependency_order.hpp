// Orders target hosts by depends_on relationships: a host comes after every target host it
// depends on, directly or through hosts that are not targets. A cycle is an error that names
// its hosts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller::rollout {

// `host` is deployed after `depends_on` (a depends_on relationship between two host CIs, or
// between services that run on them). Either side may be a host outside the target: ordering
// passes through such hosts.
struct Dependency {
  std::string host;
  std::string depends_on;
};

// Per target, in the order of the `targets` argument.
struct DependencyOrder {
  std::vector<std::int64_t> tier;               // 0: no target dependency; else 1 + max of after
  std::vector<std::vector<std::size_t>> after;  // indexes of the targets it waits for, sorted
};

// `targets` must be sorted and unique. Only relationships on a path from a target to a target
// matter; a cycle elsewhere is ignored. plan.dependency_cycle otherwise, with the message and
// the context naming the cycle as "a -> b -> a" (a depends on b, which depends on a), starting
// at its smallest host id; of several cycles the one found from the smallest id is named.
Result<DependencyOrder> order_by_dependencies(const std::vector<std::string>& targets,
                                              const std::vector<Dependency>& dependencies);

}  // namespace relman::controller::rollout
