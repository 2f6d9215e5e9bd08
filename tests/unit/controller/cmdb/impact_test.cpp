#include "controller/cmdb/impact.hpp"

#include <gtest/gtest.h>

#include <map>

namespace relman::controller::cmdb {
namespace {

// A small CMDB in memory: CIs by id and relationships, served through the EdgesOf callback.
class Graph {
 public:
  CiRef add(std::int64_t id, const std::string& cls, const std::string& name) {
    cis_[id] = CiRef{id, cls, name};
    return cis_[id];
  }
  void relate(std::int64_t from, const std::string& type, std::int64_t to) {
    edges_.push_back(RelationshipEdge{next_edge_++, type, cis_.at(from), cis_.at(to)});
  }
  EdgesOf edges_of() {
    return [this](std::int64_t id) -> Result<std::vector<RelationshipEdge>> {
      ++calls_;
      std::vector<RelationshipEdge> out;
      for (const auto& e : edges_) {
        if (e.from.id == id || e.to.id == id) out.push_back(e);
      }
      return out;
    };
  }
  const CiRef& ci(std::int64_t id) { return cis_.at(id); }
  int calls_ = 0;

 private:
  std::map<std::int64_t, CiRef> cis_;
  std::vector<RelationshipEdge> edges_;
  std::int64_t next_edge_ = 1;
};

std::vector<std::string> names(const ImpactReport& r) {
  std::vector<std::string> out;
  for (const auto& a : r.affected) out.push_back(a.ci.name);
  return out;
}

std::vector<std::string> path_names(const AffectedCi& a) {
  std::vector<std::string> out;
  for (const auto& s : a.path) out.push_back(s.from.name + ">" + s.to.name);
  return out;
}

// shop (service) depends_on payments (service); payments runs_on srv2; shop runs_on srv1;
// postgres (software) installed_on srv2; disk part_of srv2; srv3 is unrelated.
Graph shop_graph() {
  Graph g;
  g.add(1, "service", "shop");
  g.add(2, "service", "payments");
  g.add(3, "host", "srv1");
  g.add(4, "host", "srv2");
  g.add(5, "software", "postgres");
  g.add(6, "hardware", "disk");
  g.add(7, "host", "srv3");
  g.relate(1, "depends_on", 2);
  g.relate(2, "runs_on", 4);
  g.relate(1, "runs_on", 3);
  g.relate(5, "installed_on", 4);
  g.relate(6, "part_of", 4);
  return g;
}

TEST(CmdbImpact, AFailingDiskReachesItsHostAndTheServicesAboveIt) {
  Graph g = shop_graph();
  auto r = analyze_impact(g.ci(6), g.edges_of());
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(names(*r), (std::vector<std::string>{"srv2", "payments", "shop"}));
  EXPECT_EQ(path_names(r->affected[2]),
            (std::vector<std::string>{"disk>srv2", "srv2>payments", "payments>shop"}));
  EXPECT_EQ(r->affected[2].path[2].via.type, "depends_on");
  // shop runs on srv1, but a change to shop does not reach srv1 from below: srv1 is not here.
}

TEST(CmdbImpact, ChangingSoftwareReachesItsHostAndWhatRunsThere) {
  Graph g = shop_graph();
  auto r = analyze_impact(g.ci(5), g.edges_of());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(names(*r), (std::vector<std::string>{"srv2", "payments", "shop"}));
  EXPECT_EQ(path_names(r->affected[0]), (std::vector<std::string>{"postgres>srv2"}));
}

TEST(CmdbImpact, ADependencyDoesNotFlowBackwards) {
  Graph g = shop_graph();
  auto r = analyze_impact(g.ci(1), g.edges_of());  // a change to shop itself
  ASSERT_TRUE(r.has_value());
  // shop runs on srv1: the host is affected; payments (which shop depends on) is not.
  EXPECT_EQ(names(*r), (std::vector<std::string>{"srv1"}));
}

TEST(CmdbImpact, AnIsolatedCiAffectsNothing) {
  Graph g = shop_graph();
  auto r = analyze_impact(g.ci(7), g.edges_of());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->affected.empty());
  EXPECT_EQ(r->visited, 1u);
}

TEST(CmdbImpact, CyclesEndAndEachCiIsReportedOnceWithAShortestPath) {
  Graph g;
  g.add(1, "service", "a");
  g.add(2, "service", "b");
  g.add(3, "service", "c");
  g.relate(1, "depends_on", 2);  // a -> b -> c -> a
  g.relate(2, "depends_on", 3);
  g.relate(3, "depends_on", 1);
  auto r = analyze_impact(g.ci(1), g.edges_of());
  ASSERT_TRUE(r.has_value());
  // a change to a affects c (c depends on a), then b (b depends on c); a itself is the origin.
  EXPECT_EQ(names(*r), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(path_names(r->affected[1]), (std::vector<std::string>{"a>c", "c>b"}));
  EXPECT_EQ(g.calls_, 3);  // each CI expanded once
}

TEST(CmdbImpact, OnlyHostsAndServicesAreListedButOthersCarryTheChange) {
  Graph g;
  g.add(1, "network", "vlan10");
  g.add(2, "hardware", "switch");
  g.add(3, "host", "h");
  g.add(4, "database", "db");  // user-defined class
  g.add(5, "service", "crm");
  g.relate(2, "connected_to", 1);  // switch connected_to vlan10
  g.relate(3, "connected_to", 2);  // host connected_to switch
  g.relate(4, "runs_on", 3);       // db runs_on host
  g.relate(5, "depends_on", 4);    // crm depends_on db
  auto r = analyze_impact(g.ci(1), g.edges_of());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(names(*r), (std::vector<std::string>{"h", "crm"}));
  EXPECT_EQ(r->affected[1].path.size(), 4u);
  EXPECT_EQ(r->visited, 5u);
}

TEST(CmdbImpact, StopsWhenTheChangeReachesTooMuch) {
  Graph g;
  g.add(1, "service", "core");
  for (int i = 2; i < 20; ++i) {
    g.add(i, "service", "s" + std::to_string(i));
    g.relate(i, "depends_on", 1);
  }
  auto r = analyze_impact(g.ci(1), g.edges_of(), 10);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.impact_too_large");
}

TEST(CmdbImpact, PassesStoreErrorsThrough) {
  EdgesOf broken = [](std::int64_t) -> Result<std::vector<RelationshipEdge>> {
    return fail("store.io", "disk on fire");
  };
  auto r = analyze_impact(CiRef{1, "host", "h"}, broken);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "store.io");
}

TEST(CmdbImpact, JsonExplainsEachHop) {
  Graph g = shop_graph();
  auto r = analyze_impact(g.ci(6), g.edges_of());
  ASSERT_TRUE(r.has_value());
  auto j = to_json(*r);
  EXPECT_EQ(j["origin"]["name"], "disk");
  EXPECT_EQ(j["affected"][0]["ci"]["class"], "host");
  EXPECT_EQ(j["affected"][0]["path"][0]["explanation"], "disk part_of srv2");
  EXPECT_EQ(j["affected"][2]["path"][2]["explanation"], "shop depends_on payments");
}

}  // namespace
}  // namespace relman::controller::cmdb
