#include "controller/cmdb/impact.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "controller/cmdb/relationships.hpp"

namespace relman::controller::cmdb {
using nlohmann::json;

namespace {
bool reported(const CiRef& ci) { return ci.class_name == "host" || ci.class_name == "service"; }

json ref_json(const CiRef& ci) {
  return json{{"id", ci.id}, {"class", ci.class_name}, {"name", ci.name}};
}
}  // namespace

Result<ImpactReport> analyze_impact(const CiRef& origin, const EdgesOf& edges_of,
                                    std::size_t max_visits) {
  ImpactReport report;
  report.origin = origin;
  // For each reached CI: the step that reached it first (none for the origin).
  std::map<std::int64_t, std::optional<ImpactStep>> reached;
  std::vector<CiRef> order;  // reached CIs in walk order
  reached.emplace(origin.id, std::nullopt);
  std::deque<CiRef> queue{origin};
  while (!queue.empty()) {
    CiRef current = queue.front();
    queue.pop_front();
    RELMAN_TRY(edges, edges_of(current.id));
    // Recorded relationships in id order, then the inventory's (id 0) by their ends.
    std::sort(edges.begin(), edges.end(), [](const RelationshipEdge& a, const RelationshipEdge& b) {
      if ((a.id == 0) != (b.id == 0)) return a.id != 0;
      return std::tie(a.id, a.from.id, a.to.id) < std::tie(b.id, b.from.id, b.to.id);
    });
    for (const auto& e : edges) {
      const CiRef* next = nullptr;
      if (e.to.id == current.id && change_flows_to_from(e.type)) next = &e.from;
      if (!next && e.from.id == current.id &&
          change_flows_from_to(e.type, current.id == origin.id)) {
        next = &e.to;
      }
      if (!next || reached.contains(next->id)) continue;
      if (reached.size() >= max_visits) {
        return fail("cmdb.impact_too_large",
                    "the change reaches more than " + std::to_string(max_visits) +
                        " CIs; analyse a narrower CI",
                    std::to_string(origin.id));
      }
      reached.emplace(next->id, ImpactStep{current, *next, e});
      order.push_back(*next);
      queue.push_back(*next);
    }
  }
  report.visited = reached.size();
  for (const auto& ci : order) {
    if (!reported(ci)) continue;
    AffectedCi a{ci, {}};
    for (std::int64_t at = ci.id; reached[at];) {
      a.path.push_back(*reached[at]);
      at = reached[at]->from.id;
    }
    std::reverse(a.path.begin(), a.path.end());
    report.affected.push_back(std::move(a));
  }
  // Walk order is already nearest first; within one distance, order by id.
  std::stable_sort(report.affected.begin(), report.affected.end(),
                   [](const AffectedCi& a, const AffectedCi& b) {
                     if (a.path.size() != b.path.size()) return a.path.size() < b.path.size();
                     return a.ci.id < b.ci.id;
                   });
  return report;
}

json to_json(const ImpactReport& r) {
  json affected = json::array();
  for (const auto& a : r.affected) {
    json path = json::array();
    for (const auto& s : a.path) {
      path.push_back(
          json{{"from", ref_json(s.from)},
               {"to", ref_json(s.to)},
               {"relationship",
                {{"id", s.via.id == 0 ? json(nullptr) : json(s.via.id)},
                 {"type", s.via.type},
                 {"from_id", s.via.from.id},
                 {"to_id", s.via.to.id}}},
               {"explanation", s.via.from.name + " " + s.via.type + " " + s.via.to.name}});
    }
    affected.push_back(json{{"ci", ref_json(a.ci)}, {"path", std::move(path)}});
  }
  return json{
      {"origin", ref_json(r.origin)}, {"affected", std::move(affected)}, {"visited", r.visited}};
}

}  // namespace relman::controller::cmdb
