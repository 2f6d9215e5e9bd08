#include "protocol/inventory_delta.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relman::protocol {
namespace {

using nlohmann::json;

json pkg(const std::string& name, const std::string& version, const std::string& arch = "amd64") {
  return {{"name", name}, {"version", version}, {"architecture", arch}, {"installed_size_kib", 1}};
}

json sample() {
  json doc = {{"hostname", "web-01"},
              {"memory_mb", 2048},
              {"facts",
               {{"memory", {{"total_mib", 2048}, {"available_mib", 1000}}},
                {"software",
                 {{"dpkg",
                   {{"packages", {pkg("bash", "5.2"), pkg("curl", "7.88"), pkg("zlib1g", "1.2")}},
                    {"truncated", false}}}}}}}};
  normalize_inventory(doc);
  return doc;
}

json& dpkg(json& doc) { return doc["facts"]["software"]["dpkg"]["packages"]; }

json round_trip(const json& base, const json& current) {
  auto changes = diff_inventory(base, current);
  auto applied = apply_inventory_changes(base, changes);
  EXPECT_TRUE(applied) << applied.error().describe();
  return applied ? *applied : json();
}

TEST(InventoryDelta, EqualReportsHaveNoChanges) {
  auto changes = diff_inventory(sample(), sample());
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(changes.entry_count(), 0u);
}

TEST(InventoryDelta, AnAddedPackageIsOneAddedItem) {
  auto base = sample();
  auto current = base;
  dpkg(current).push_back(pkg("htop", "3.2"));
  normalize_inventory(current);
  auto changes = diff_inventory(base, current);
  ASSERT_EQ(changes.entry_count(), 1u);
  ASSERT_EQ(changes.items.size(), 1u);
  EXPECT_EQ(changes.items[0].path, "/facts/software/dpkg/packages");
  ASSERT_EQ(changes.items[0].added.size(), 1u);
  EXPECT_EQ(changes.items[0].added[0]["name"], "htop");
  EXPECT_EQ(round_trip(base, current), current);
}

TEST(InventoryDelta, RemovedAndChangedItemsAreNamedByTheirKey) {
  auto base = sample();
  auto current = base;
  dpkg(current).erase(0);                  // bash
  dpkg(current)[0]["version"] = "7.88.1";  // curl
  auto changes = diff_inventory(base, current);
  ASSERT_EQ(changes.items.size(), 1u);
  const auto& items = changes.items[0];
  ASSERT_EQ(items.removed.size(), 1u);
  EXPECT_EQ(items.removed[0], (json{{"name", "bash"}, {"architecture", "amd64"}}));
  ASSERT_EQ(items.changed.size(), 1u);
  EXPECT_EQ(items.changed[0]["version"], "7.88.1");
  EXPECT_TRUE(items.added.empty());
  EXPECT_EQ(round_trip(base, current), current);
}

TEST(InventoryDelta, SameNameOnTwoArchitecturesIsTwoItems) {
  auto base = sample();
  auto current = base;
  dpkg(current).push_back(pkg("zlib1g", "1.2", "i386"));
  normalize_inventory(current);
  auto changes = diff_inventory(base, current);
  ASSERT_EQ(changes.items.size(), 1u);
  EXPECT_EQ(changes.items[0].added.size(), 1u);
  EXPECT_TRUE(changes.items[0].changed.empty());
  EXPECT_EQ(round_trip(base, current), current);
}

TEST(InventoryDelta, OtherFactsChangeByPath) {
  auto base = sample();
  auto current = base;
  current["facts"]["memory"]["available_mib"] = 900;
  current["facts"]["os"] = {{"id", "debian"}};
  current.erase("memory_mb");
  auto changes = diff_inventory(base, current);
  ASSERT_EQ(changes.set.size(), 2u);
  EXPECT_EQ(changes.set[0].path, "/facts/memory/available_mib");
  EXPECT_EQ(changes.set[1].path, "/facts/os");
  ASSERT_EQ(changes.unset.size(), 1u);
  EXPECT_EQ(changes.unset[0], "/memory_mb");
  EXPECT_EQ(round_trip(base, current), current);
}

TEST(InventoryDelta, MemberNamesWithSlashOrTildeAreEscaped) {
  json base = {{"facts", {{"a/b", 1}, {"c~d", 1}}}};
  json current = {{"facts", {{"a/b", 2}, {"c~d", 2}}}};
  auto changes = diff_inventory(base, current);
  ASSERT_EQ(changes.set.size(), 2u);
  EXPECT_EQ(changes.set[0].path, "/facts/a~1b");
  EXPECT_EQ(changes.set[1].path, "/facts/c~0d");
  EXPECT_EQ(round_trip(base, current), current);
}

TEST(InventoryDelta, ACollectionWithDuplicateKeysIsSentWhole) {
  auto base = sample();
  auto current = base;
  dpkg(current).push_back(pkg("bash", "5.2"));  // the same key twice
  normalize_inventory(current);
  auto changes = diff_inventory(base, current);
  EXPECT_TRUE(changes.items.empty());
  ASSERT_EQ(changes.set.size(), 1u);
  EXPECT_EQ(changes.set[0].path, "/facts/software/dpkg/packages");
  EXPECT_EQ(round_trip(base, current), current);
  // ...and back again, from a base with duplicates.
  EXPECT_EQ(round_trip(current, base), base);
}

TEST(InventoryDelta, NormalizeSortsCollectionsAndReplacesInvalidUtf8) {
  json doc = {
      {"hostname", std::string("bad\xff")},
      {"facts", {{"software", {{"dpkg", {{"packages", {pkg("b", "1"), pkg("a", "1")}}}}}}}}};
  normalize_inventory(doc);
  EXPECT_EQ(dpkg(doc)[0]["name"], "a");
  EXPECT_EQ(doc["hostname"], "bad\xef\xbf\xbd");
  EXPECT_TRUE(inventory_hash(doc));
}

TEST(InventoryDelta, HashIgnoresMemberOrderAndIntegerSignedness) {
  json a = json::parse(R"({"b": 1, "a": {"y": 2, "x": 3}})");
  json b = {{"a", {{"x", 3}, {"y", std::int64_t{2}}}}, {"b", std::int64_t{1}}};
  auto ha = inventory_hash(a);
  auto hb = inventory_hash(b);
  ASSERT_TRUE(ha && hb);
  EXPECT_EQ(*ha, *hb);
  EXPECT_EQ(ha->size(), 64u);
  b["b"] = 2;
  EXPECT_NE(*ha, *inventory_hash(b));
}

TEST(InventoryDelta, HashRefusesFloats) {
  auto h = inventory_hash(json{{"load", 0.5}});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, "protocol.non_canonical_number");
}

TEST(InventoryDelta, HashRefusesFloatsInCollectionItemsToo) {
  auto doc = sample();
  dpkg(doc)[0]["load"] = 0.5;
  auto h = inventory_hash(doc);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, "protocol.non_canonical_number");
}

// The report hash sums the collections' items: independent of their order, moved by each item,
// and not the old whole-document hash (which older agents send).
TEST(InventoryHash, CollectionsHashByTheirItemsNotTheirOrder) {
  auto doc = sample();
  auto shuffled = doc;
  std::swap(dpkg(shuffled)[0], dpkg(shuffled)[2]);
  EXPECT_EQ(*inventory_hash(doc), *inventory_hash(shuffled));
  EXPECT_NE(*inventory_hash(doc), *legacy_inventory_hash(doc));
  auto skeleton = inventory_skeleton(doc);
  ASSERT_TRUE(skeleton);
  const auto& placeholder = (*skeleton)["facts"]["software"]["dpkg"]["packages"];
  ASSERT_TRUE(placeholder.is_string());
  auto digest = parse_collection_placeholder(placeholder.get<std::string>());
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->count, 3u);
  EXPECT_EQ(*skeleton_hash(*skeleton), *inventory_hash(doc));
  // Taking one item's digest away and adding another's is the digest of the changed list.
  auto changed = doc;
  dpkg(changed)[1] = pkg("curl", "8.0");
  auto moved = *digest;
  moved.subtract(*item_digest(dpkg(doc)[1]));
  moved.add(*item_digest(dpkg(changed)[1]));
  auto expected = parse_collection_placeholder(
      (*inventory_skeleton(changed))["facts"]["software"]["dpkg"]["packages"].get<std::string>());
  ASSERT_TRUE(expected);
  EXPECT_EQ(moved, *expected);
  EXPECT_NE(*inventory_hash(changed), *inventory_hash(doc));
}

TEST(InventoryHash, PlaceholdersAreReadStrictly) {
  ItemsDigest d;
  d.count = 2;
  d.lanes = {1, 2, 3, 0xffffffffffffffffull};
  auto text = collection_placeholder(d);
  EXPECT_EQ(parse_collection_placeholder(text), d);
  const std::vector<std::string> bad_texts = {"relman-items:",
                                              "relman-items:2:",
                                              "relman-items:x:" + d.hex(),
                                              "relman-items:2:" + d.hex().substr(1),
                                              "other:2:" + d.hex(),
                                              "relman-items:2:" + std::string(64, 'G')};
  for (const auto& bad : bad_texts) {
    EXPECT_FALSE(parse_collection_placeholder(bad)) << bad;
  }
}

void expect_apply_refused(const json& base, const InventoryChanges& changes,
                          const std::string& context) {
  auto r = apply_inventory_changes(base, changes);
  ASSERT_FALSE(r) << r->dump();
  EXPECT_EQ(r.error().code, "inventory.delta_invalid");
  EXPECT_EQ(r.error().context, context) << r.error().describe();
}

TEST(InventoryDeltaApply, RefusesPathsTheBaseDoesNotHave) {
  InventoryChanges unset_missing;
  unset_missing.unset = {"/facts/nothing"};
  expect_apply_refused(sample(), unset_missing, "/facts/nothing");
  InventoryChanges set_orphan;
  set_orphan.set = {{"/facts/nothing/here", 1}};
  expect_apply_refused(sample(), set_orphan, "/facts/nothing/here");
  InventoryChanges set_in_array;
  set_in_array.set = {{"/facts/software/dpkg/packages/0", 1}};
  expect_apply_refused(sample(), set_in_array, "/facts/software/dpkg/packages/0");
}

TEST(InventoryDeltaApply, RefusesItemsThatDoNotMatchTheBase) {
  const std::string path = "/facts/software/dpkg/packages";
  InventoryChanges remove_missing;
  remove_missing.items = {{path, {}, {{{"name", "nope"}, {"architecture", "amd64"}}}, {}}};
  expect_apply_refused(sample(), remove_missing, path);
  InventoryChanges change_missing;
  change_missing.items = {{path, {}, {}, {pkg("nope", "1")}}};
  expect_apply_refused(sample(), change_missing, path);
  InventoryChanges add_existing;
  add_existing.items = {{path, {pkg("bash", "9")}, {}, {}}};
  expect_apply_refused(sample(), add_existing, path);
  InventoryChanges add_twice;
  add_twice.items = {{path, {pkg("new", "1"), pkg("new", "2")}, {}, {}}};
  expect_apply_refused(sample(), add_twice, path);
  InventoryChanges remove_and_change;
  remove_and_change.items = {
      {path, {}, {{{"name", "bash"}, {"architecture", "amd64"}}}, {pkg("bash", "6")}}};
  expect_apply_refused(sample(), remove_and_change, path);
  InventoryChanges no_collection;
  no_collection.items = {{"/facts/software/rpm/packages", {}, {}, {}}};
  expect_apply_refused(sample(), no_collection, "/facts/software/rpm/packages");
  auto dup_base = sample();
  dpkg(dup_base).push_back(pkg("bash", "5.2"));
  InventoryChanges add;
  add.items = {{path, {pkg("new", "1")}, {}, {}}};
  expect_apply_refused(dup_base, add, path);
}

TEST(InventoryDeltaWire, RoundTrips) {
  auto base = sample();
  auto current = base;
  dpkg(current).push_back(pkg("htop", "3.2"));
  current["facts"]["memory"]["available_mib"] = 1;
  current.erase("memory_mb");
  normalize_inventory(current);
  auto changes = diff_inventory(base, current);
  json wire = json::object();
  write_inventory_changes(changes, wire);
  auto back = read_inventory_changes(json::parse(wire.dump()));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->entry_count(), 3u);
  auto applied = apply_inventory_changes(base, *back);
  ASSERT_TRUE(applied) << applied.error().describe();
  EXPECT_EQ(*applied, current);
}

void expect_read_refused(const json& wire, const std::string& code, const std::string& context) {
  auto r = read_inventory_changes(wire);
  ASSERT_FALSE(r) << wire.dump();
  EXPECT_EQ(r.error().code, code) << r.error().describe();
  EXPECT_EQ(r.error().context, context) << r.error().describe();
}

TEST(InventoryDeltaWire, RefusesMalformedChanges) {
  expect_read_refused({{"unset", "x"}}, "protocol.wrong_type", "unset");
  expect_read_refused({{"unset", {1}}}, "protocol.wrong_type", "unset[0]");
  expect_read_refused({{"unset", {"facts"}}}, "protocol.invalid_value", "unset[0]");
  expect_read_refused({{"unset", {""}}}, "protocol.invalid_value", "unset[0]");
  expect_read_refused({{"unset", {"/a/~2"}}}, "protocol.invalid_value", "unset[0]");
  expect_read_refused({{"unset", {"/" + std::string(kMaxInventoryPathLength, 'a')}}},
                      "protocol.too_long", "unset[0]");
  expect_read_refused({{"set", {{{"path", "/a"}}}}}, "protocol.invalid_value", "set[0]");
  expect_read_refused({{"set", {1}}}, "protocol.invalid_value", "set[0]");
  expect_read_refused({{"items", {{{"path", "/facts/cpu"}}}}}, "protocol.invalid_value",
                      "items[0].path");
  expect_read_refused({{"items", {1}}}, "protocol.wrong_type", "items[0]");
  expect_read_refused(
      {{"items", {{{"path", "/facts/software/dpkg/packages"}, {"added", {{{"name", "x"}}}}}}}},
      "protocol.invalid_value", "items[0].added[0]");
  expect_read_refused(
      {{"items", {{{"path", "/facts/software/dpkg/packages"}, {"removed", {"x"}}}}}},
      "protocol.invalid_value", "items[0].removed[0]");
}

TEST(InventoryDeltaWire, RefusesTooManyEntries) {
  json unset = json::array();
  for (std::size_t i = 0; i <= kMaxInventoryDeltaEntries; ++i) unset.push_back("/x");
  expect_read_refused({{"unset", unset}}, "protocol.too_long", "unset");
}

TEST(InventoryDeltaWire, MissingListsAreEmpty) {
  auto r = read_inventory_changes(json::object());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace relman::protocol
