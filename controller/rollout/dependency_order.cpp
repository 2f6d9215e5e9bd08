#include "controller/rollout/dependency_order.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

namespace relman::controller::rollout {
namespace {

// Nodes: the targets first (indexes 0..targets-1, in the caller's sorted order), then every
// other host a relationship names, sorted by id, so every walk below is deterministic.
struct Graph {
  std::vector<std::string> names;
  std::size_t targets = 0;
  std::vector<std::vector<std::size_t>> deps;        // node -> nodes it depends on
  std::vector<std::vector<std::size_t>> dependents;  // node -> nodes that depend on it
};

Graph build(const std::vector<std::string>& targets, const std::vector<Dependency>& dependencies) {
  Graph g;
  g.names = targets;
  g.targets = targets.size();
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < targets.size(); ++i) index.emplace(targets[i], i);
  std::vector<std::string> others;
  for (const auto& d : dependencies) {
    for (const auto* name : {&d.host, &d.depends_on}) {
      if (!index.contains(*name)) others.push_back(*name);
    }
  }
  std::sort(others.begin(), others.end());
  others.erase(std::unique(others.begin(), others.end()), others.end());
  for (auto& name : others) {
    index.emplace(name, g.names.size());
    g.names.push_back(std::move(name));
  }
  g.deps.resize(g.names.size());
  g.dependents.resize(g.names.size());
  for (const auto& d : dependencies) {
    std::size_t from = index.at(d.host), to = index.at(d.depends_on);
    g.deps[from].push_back(to);
    g.dependents[to].push_back(from);
  }
  for (auto* lists : {&g.deps, &g.dependents}) {
    for (auto& l : *lists) {
      std::sort(l.begin(), l.end());
      l.erase(std::unique(l.begin(), l.end()), l.end());
    }
  }
  return g;
}

// Nodes reachable from the targets along `edges`.
std::vector<bool> reach(const Graph& g, const std::vector<std::vector<std::size_t>>& edges) {
  std::vector<bool> seen(g.names.size(), false);
  std::deque<std::size_t> queue;
  for (std::size_t t = 0; t < g.targets; ++t) {
    seen[t] = true;
    queue.push_back(t);
  }
  while (!queue.empty()) {
    std::size_t n = queue.front();
    queue.pop_front();
    for (std::size_t m : edges[n]) {
      if (!seen[m]) {
        seen[m] = true;
        queue.push_back(m);
      }
    }
  }
  return seen;
}

// Every unfinished node still waits for an unfinished dependency, so following the smallest
// such dependency from the smallest unfinished node must come back to a node already visited.
Error cycle_error(const Graph& g, const std::vector<bool>& relevant,
                  const std::vector<bool>& done) {
  std::size_t start = 0;
  while (!relevant[start] || done[start]) ++start;
  std::vector<std::size_t> path;
  std::vector<std::size_t> position(g.names.size(), SIZE_MAX);
  std::size_t cur = start;
  while (position[cur] == SIZE_MAX) {
    position[cur] = path.size();
    path.push_back(cur);
    for (std::size_t m : g.deps[cur]) {
      if (relevant[m] && !done[m]) {
        cur = m;
        break;
      }
    }
  }
  std::vector<std::size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(position[cur]),
                                 path.end());
  auto smallest = std::min_element(cycle.begin(), cycle.end(), [&](std::size_t a, std::size_t b) {
    return g.names[a] < g.names[b];
  });
  std::rotate(cycle.begin(), smallest, cycle.end());
  std::string text;
  for (std::size_t n : cycle) text += g.names[n] + " -> ";
  text += g.names[cycle.front()];
  return Error{"plan.dependency_cycle",
               "hosts depend on each other in a cycle: " + text +
                   " (each depends on the next); remove one of these depends_on relationships",
               text};
}

}  // namespace

Result<DependencyOrder> order_by_dependencies(const std::vector<std::string>& targets,
                                              const std::vector<Dependency>& dependencies) {
  const Graph g = build(targets, dependencies);
  const std::size_t n = g.names.size();
  // A node matters when it lies on a path from a target to a target (targets included).
  const auto from_targets = reach(g, g.deps);
  const auto to_targets = reach(g, g.dependents);
  std::vector<bool> relevant(n);
  for (std::size_t i = 0; i < n; ++i) relevant[i] = from_targets[i] && to_targets[i];

  // Kahn's algorithm, dependencies first. `value` is the tier a target gets, and what a
  // non-target passes on; `effective` the nearest targets a node depends on.
  std::vector<std::size_t> waiting(n, 0);
  std::deque<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (!relevant[i]) continue;
    waiting[i] = static_cast<std::size_t>(std::count_if(
        g.deps[i].begin(), g.deps[i].end(), [&](std::size_t m) { return relevant[m]; }));
    if (waiting[i] == 0) ready.push_back(i);
  }
  std::vector<std::int64_t> value(n, 0);
  std::vector<std::vector<std::size_t>> effective(n);
  std::vector<bool> done(n, false);
  while (!ready.empty()) {
    std::size_t i = ready.front();
    ready.pop_front();
    done[i] = true;
    for (std::size_t m : g.deps[i]) {
      if (!relevant[m]) continue;
      const bool target = m < g.targets;
      value[i] = std::max(value[i], value[m] + (target ? 1 : 0));
      if (target) {
        effective[i].push_back(m);
      } else {
        effective[i].insert(effective[i].end(), effective[m].begin(), effective[m].end());
      }
    }
    std::sort(effective[i].begin(), effective[i].end());
    effective[i].erase(std::unique(effective[i].begin(), effective[i].end()), effective[i].end());
    for (std::size_t d : g.dependents[i]) {
      if (relevant[d] && --waiting[d] == 0) ready.push_back(d);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (relevant[i] && !done[i]) return fail(cycle_error(g, relevant, done));
  }
  DependencyOrder order;
  order.tier.assign(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(g.targets));
  order.after.assign(effective.begin(), effective.begin() + static_cast<std::ptrdiff_t>(g.targets));
  return order;
}

}  // namespace relman::controller::rollout
