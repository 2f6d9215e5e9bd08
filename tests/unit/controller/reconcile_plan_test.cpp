// What an inventory report changes in the CMDB, as pure logic: packages and hardware read from
// a document, and a delta turned into exactly the packages it adds, removes or changes.
#include "controller/inventory/reconcile_plan.hpp"

#include <gtest/gtest.h>

namespace relman::controller::inventory {
namespace {
using nlohmann::json;

json doc_with(json dpkg, json rpm = json::array()) {
  json d{{"hostname", "h"},
         {"facts",
          {{"software",
            {{"dpkg", {{"packages", std::move(dpkg)}}}, {"rpm", {{"packages", std::move(rpm)}}}}},
           {"cpu", {{"model", "Xeon"}, {"threads", 2}}}}}};
  protocol::normalize_inventory(d);
  return d;
}

json deb(const std::string& name, const std::string& version) {
  return json{{"name", name}, {"version", version}, {"architecture", "amd64"}};
}

TEST(ReconcilePlan, ReadsPackagesOfEveryManager) {
  auto d = doc_with(json::array({deb("bash", "5.2")}), json::array({{{"name", "zsh"},
                                                                     {"version", "5.9"},
                                                                     {"release", "3.el9"},
                                                                     {"architecture", "x86_64"},
                                                                     {"epoch", -1}}}));
  d["facts"]["software"]["relman"] = {
      {"packages", json::array({{{"name", "app"}, {"version", "2"}}})}};
  auto sw = software_in(d);
  ASSERT_EQ(sw.size(), 3u);
  EXPECT_EQ(sw[0], (SoftwarePackage{"dpkg", "bash", "amd64", "5.2"}));
  EXPECT_EQ(sw[1], (SoftwarePackage{"rpm", "zsh", "x86_64", "5.9-3.el9"}));
  EXPECT_EQ(sw[2], (SoftwarePackage{"relman", "app", "", "2"}));
}

TEST(ReconcilePlan, SkipsMalformedItemsAndLoopbackInterfaces) {
  json d{{"hostname", "h"},
         {"facts",
          {{"software", {{"dpkg", {{"packages", json::array({1, json::object()})}}}}},
           {"network",
            {{"interfaces", json::array({{{"name", "lo"}, {"mac", "00:00:00:00:00:00"}},
                                         {{"name", "tun0"}, {"mac", ""}},
                                         7})}}},
           {"memory", {{"total_mib", 0}}},
           {"cpu", "not an object"}}}};
  EXPECT_TRUE(software_in(d).empty());
  EXPECT_TRUE(hardware_in("a1", d).empty());
}

TEST(ReconcilePlan, ADeltaNamesExactlyThePackagesItChanges) {
  auto before = doc_with(json::array({deb("bash", "5.2"), deb("curl", "7.88"), deb("vim", "9")}));
  auto after = doc_with(json::array({deb("curl", "8.0"), deb("htop", "3"), deb("vim", "9")}));
  auto plan = plan_delta("a1", protocol::diff_inventory(before, after), after);
  EXPECT_FALSE(plan.software_full);
  EXPECT_FALSE(plan.hardware);
  std::vector<SoftwarePackage> want{{"dpkg", "htop", "amd64", "3"},
                                    {"dpkg", "curl", "amd64", "8.0"}};
  EXPECT_EQ(plan.software, want);
  std::vector<SoftwareGone> gone{{"dpkg", "curl", "amd64", "", "8.0"},
                                 {"dpkg", "bash", "amd64", "", ""}};
  EXPECT_EQ(plan.software_gone, gone);
  // Each package's line, as the stored collections hold it: canonical key, tab, canonical item.
  std::vector<std::string> lines{R"(["htop","amd64"])"
                                 "\t"
                                 R"({"architecture":"amd64","name":"htop","version":"3"})",
                                 R"(["curl","amd64"])"
                                 "\t"
                                 R"({"architecture":"amd64","name":"curl","version":"8.0"})"};
  EXPECT_EQ(plan.software_lines, lines);
}

TEST(ReconcilePlan, SoftwareListsAndTheirItems) {
  EXPECT_EQ(software_manager("/facts/software/rpm/packages"), "rpm");
  EXPECT_EQ(software_list("relman"), "/facts/software/relman/packages");
  EXPECT_FALSE(software_manager("/facts/services/units"));
  EXPECT_FALSE(software_list("apk"));
  EXPECT_EQ(software_item("dpkg", deb("bash", "5.2")),
            (SoftwarePackage{"dpkg", "bash", "amd64", "5.2"}));
  EXPECT_FALSE(software_item("dpkg", json{{"version", "1"}}));  // no name: no software CI
  EXPECT_FALSE(software_item("dpkg", json{{"name", 7}}));       // nor a name that is not text
  EXPECT_FALSE(software_item("dpkg", json::array({"bash"})));   // nor what is not an item
}

TEST(ReconcilePlan, RpmRemovalsNameTheirVersion) {
  json z{{"name", "zsh"}, {"version", "5.9"}, {"release", "3"}, {"architecture", "x86_64"}};
  auto before = doc_with(json::array(), json::array({z}));
  auto after = doc_with(json::array(), json::array());
  auto plan = plan_delta("a1", protocol::diff_inventory(before, after), after);
  ASSERT_EQ(plan.software_gone.size(), 1u);
  EXPECT_EQ(plan.software_gone[0].version, "5.9-3");
}

TEST(ReconcilePlan, HardwareFactsOrAWholeListMakeTheirPartFull) {
  auto before = doc_with(json::array({deb("bash", "5.2")}));
  auto after = before;
  after["facts"]["cpu"]["threads"] = 4;
  auto plan = plan_delta("a1", protocol::diff_inventory(before, after), after);
  EXPECT_TRUE(plan.hardware);
  ASSERT_EQ(plan.hardware_items.size(), 1u);
  EXPECT_EQ(plan.hardware_items[0].key, "agent:a1/cpu");
  EXPECT_EQ(plan.hardware_items[0].attributes["threads"], 4);
  EXPECT_TRUE(plan.software.empty());

  protocol::InventoryChanges whole;
  whole.set.push_back({"/facts/software", after["facts"]["software"]});
  plan = plan_delta("a1", whole, after);
  EXPECT_TRUE(plan.software_full);
  EXPECT_EQ(plan.software.size(), 1u);
  EXPECT_TRUE(plan.software_lines.empty());  // a replaced list is stored in parts
  EXPECT_TRUE(plan.software_gone.empty());
  EXPECT_FALSE(plan.hardware);
}

TEST(ReconcilePlan, DisksWithASerialAreTheSameCiEverywhere) {
  json d{{"hostname", "h"},
         {"facts",
          {{"disks",
            {{"disks", json::array({{{"name", "sda"}, {"serial", "S1"}, {"rotational", true}},
                                    {{"name", "vda"}, {"serial", ""}}})}}}}}};
  auto hw = hardware_in("a1", d);
  ASSERT_EQ(hw.size(), 2u);
  EXPECT_EQ(hw[0].key, "disk:S1");
  EXPECT_EQ(hw[0].attributes["rotational"], 1);
  EXPECT_EQ(hw[1].key, "agent:a1/disk/vda");
  EXPECT_EQ(hw[1].name, "h vda");
}

}  // namespace
}  // namespace relman::controller::inventory
