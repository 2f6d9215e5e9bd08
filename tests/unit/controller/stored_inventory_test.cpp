// A host's report as the controller keeps it (skeleton + collection lines): it reads back as the
// document, hashes as the agent hashes it, and a delta applied to only the collections it names
// gives what protocol::apply_inventory_changes gives on the whole document, refusals included.
#include "controller/inventory/stored_inventory.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "protocol/inventory_hash.hpp"

namespace relman::controller::inventory {
namespace {
using nlohmann::json;

json deb(const std::string& name, const std::string& version) {
  return json{{"name", name}, {"version", version}, {"architecture", "amd64"}, {"size", 7}};
}

json sample() {
  json packages = json::array();
  for (int i = 0; i < 40; ++i)
    packages.push_back(deb("pkg-" + std::to_string(i), "1." + std::to_string(i)));
  json d{
      {"hostname", "web-01"},
      {"memory_mb", 2048},
      {"facts",
       {{"software", {{"dpkg", {{"packages", packages}, {"truncated", false}}}}},
        {"services", {{"units", json::array({{{"name", "ssh.service"}, {"state", "running"}}})}}},
        {"disks", {{"disks", json::array({{{"name", "sda"}, {"serial", "S1"}}})}}},
        {"cpu", {{"model", "Xeon"}, {"threads", 2}}}}}};
  protocol::normalize_inventory(d);
  return d;
}

json& dpkg(json& doc) { return doc["facts"]["software"]["dpkg"]["packages"]; }

std::string hash_of(const StoredInventory& s) {
  auto text = skeleton_text(s.skeleton);
  EXPECT_TRUE(text) << text.error().describe();
  return text ? text->hash : "";
}

// The stored form of `base` with only the collections `changes` needs loaded, as a delta reads it.
StoredInventory loaded_for(const json& base, const protocol::InventoryChanges& changes) {
  auto all = split_inventory(base);
  EXPECT_TRUE(all);
  StoredInventory s;
  s.skeleton = all->skeleton;
  auto needed = collections_needed(changes, false);
  if (!needed) return *all;
  for (const auto& part : needed->parts) {
    if (all->collections.contains(part)) s.collections[part] = all->collections[part];
  }
  return s;
}

// Applies `changes` to the stored form of `base` and checks it against the whole-document path.
StoredInventory apply_and_compare(const json& base, const json& current) {
  auto changes = protocol::diff_inventory(base, current);
  auto state = loaded_for(base, changes);
  auto applied = apply_delta(state, changes);
  EXPECT_TRUE(applied) << applied.error().describe();
  EXPECT_EQ(hash_of(state), *protocol::inventory_hash(current));
  auto everything = split_inventory(base)->collections;
  for (auto& [path, lines] : state.collections) everything[path] = lines;
  if (state.whole) everything = state.collections;
  EXPECT_EQ(assemble_inventory(state.skeleton, everything), current);
  return state;
}

TEST(StoredInventory, SplitReadsBackAsTheDocumentAndHashesAsTheAgentDoes) {
  auto doc = sample();
  auto s = split_inventory(doc);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->whole);
  std::set<std::string> paths;
  for (const auto& [part, lines] : s->collections) paths.insert(part.first);
  EXPECT_EQ(paths.size(), 3u);            // dpkg, services, disks
  EXPECT_GT(s->collections.size(), 10u);  // 40 packages spread over buckets
  EXPECT_TRUE(s->skeleton["facts"]["software"]["dpkg"]["packages"].is_string());
  EXPECT_EQ(s->skeleton["facts"]["software"]["dpkg"]["truncated"], false);
  EXPECT_EQ(hash_of(*s), *protocol::inventory_hash(doc));
  EXPECT_EQ(assemble_inventory(s->skeleton, s->collections), doc);
  // The hash depends on the items, not on their order.
  auto reversed = doc;
  std::reverse(dpkg(reversed).begin(), dpkg(reversed).end());
  EXPECT_EQ(*protocol::inventory_hash(reversed), *protocol::inventory_hash(doc));
  dpkg(reversed)[0]["version"] = "9";
  EXPECT_NE(*protocol::inventory_hash(reversed), *protocol::inventory_hash(doc));
}

TEST(StoredInventory, ADeltaTouchesOnlyTheCollectionsItNames) {
  auto base = sample();
  auto current = base;
  dpkg(current)[3]["version"] = "2.0";
  dpkg(current).erase(dpkg(current).begin() + 5);
  dpkg(current).push_back(deb("aaa-new", "1"));
  dpkg(current).push_back(deb("zzz-new", "1"));
  current["memory_mb"] = 4096;
  protocol::normalize_inventory(current);
  auto changes = protocol::diff_inventory(base, current);
  auto needed = collections_needed(changes, false);
  ASSERT_TRUE(needed);
  ASSERT_LE(needed->parts.size(), 4u);  // the buckets of 4 items
  for (const auto& part : needed->parts) EXPECT_EQ(part.first, "/facts/software/dpkg/packages");
  auto state = apply_and_compare(base, current);
  EXPECT_FALSE(state.whole);
  EXPECT_LE(state.collections.size(), 4u);
}

TEST(StoredInventory, ADeltaThatReplacesACollectionNeedsThemAll) {
  auto base = sample();
  auto current = base;
  current["facts"]["software"]["rpm"] = {
      {"packages",
       json::array(
           {{{"name", "zsh"}, {"version", "5"}, {"release", "1"}, {"architecture", "x86_64"}}})}};
  current["facts"].erase("services");
  protocol::normalize_inventory(current);
  auto changes = protocol::diff_inventory(base, current);
  EXPECT_FALSE(collections_needed(changes, false));
  // Not every collection loaded: refused, never half applied.
  StoredInventory partial;
  partial.skeleton = split_inventory(base)->skeleton;
  auto refused = apply_delta(partial, changes);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "inventory.delta_invalid");
  auto state = apply_and_compare(base, current);
  EXPECT_TRUE(state.whole);
  std::set<std::string> paths;
  for (const auto& [part, lines] : state.collections) paths.insert(part.first);
  EXPECT_TRUE(paths.contains("/facts/software/rpm/packages"));
  EXPECT_FALSE(paths.contains("/facts/services/units"));
}

TEST(StoredInventory, HardwareDeltasLoadTheHardwareCollections) {
  protocol::InventoryChanges changes;
  changes.set.push_back({"/facts/cpu/threads", 4});
  auto needed = collections_needed(changes, true);
  ASSERT_TRUE(needed);
  EXPECT_TRUE(needed->parts.contains(Part{"/facts/disks/disks", kAllBuckets}));
  EXPECT_TRUE(needed->parts.contains(Part{"/facts/network/interfaces", kAllBuckets}));
}

// Every refusal of the whole-document path is a refusal here too, with the same code.
TEST(StoredInventory, RefusesWhatTheWholeDocumentPathRefuses) {
  auto base = sample();
  const std::string path = "/facts/software/dpkg/packages";
  auto refused = [&](protocol::InventoryChanges changes) {
    auto whole = protocol::apply_inventory_changes(base, changes);
    EXPECT_FALSE(whole);
    auto state = loaded_for(base, changes);
    auto before = state.collections;
    auto r = apply_delta(state, changes);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().code, "inventory.delta_invalid");
    }
    return r ? std::string() : r.error().context;
  };
  protocol::InventoryChanges missing;
  missing.items.push_back({path, {}, {json{{"name", "nope"}, {"architecture", "amd64"}}}, {}});
  EXPECT_EQ(refused(missing), path);
  protocol::InventoryChanges changed_missing;
  changed_missing.items.push_back({path, {}, {}, {deb("nope", "1")}});
  EXPECT_EQ(refused(changed_missing), path);
  protocol::InventoryChanges added_twice;
  added_twice.items.push_back({path, {deb("pkg-1", "1")}, {}, {}});
  EXPECT_EQ(refused(added_twice), path);
  protocol::InventoryChanges named_twice;
  named_twice.items.push_back({path, {}, {}, {deb("pkg-1", "5"), deb("pkg-1", "6")}});
  EXPECT_EQ(refused(named_twice), path);
  protocol::InventoryChanges no_collection;
  no_collection.items.push_back({"/facts/network/interfaces", {json{{"name", "eth0"}}}, {}, {}});
  EXPECT_EQ(refused(no_collection), "/facts/network/interfaces");
  protocol::InventoryChanges unset_absent;
  unset_absent.unset.push_back("/facts/nothing");
  EXPECT_EQ(refused(unset_absent), "/facts/nothing");
  protocol::InventoryChanges set_nowhere;
  set_nowhere.set.push_back({"/facts/nothing/x", 1});
  EXPECT_EQ(refused(set_nowhere), "/facts/nothing/x");
  protocol::InventoryChanges into_collection;
  into_collection.set.push_back({path + "/x", 1});
  EXPECT_EQ(refused(into_collection), path + "/x");
}

TEST(StoredInventory, BrokenStoredLinesAreRefusedSoTheAgentSendsAFullReport) {
  auto base = sample();
  protocol::InventoryChanges changes;
  changes.items.push_back({"/facts/software/dpkg/packages", {}, {}, {deb("pkg-7", "2")}});
  // Not lines; a line without its tabs; the item's line with a digest that is not hex.
  const std::vector<std::string> broken_texts = {
      "garbage\n", "x\ty\tz", std::string(64, 'g') + "\t[\"pkg-7\",\"amd64\"]\t{}\n"};
  for (const auto& broken : broken_texts) {
    auto state = loaded_for(base, changes);
    ASSERT_EQ(state.collections.size(), 1u);
    state.collections.begin()->second = broken;
    auto r = apply_delta(state, changes);
    ASSERT_FALSE(r) << broken;
    EXPECT_EQ(r.error().code, "inventory.delta_invalid");
  }
}

// A store that keeps items elsewhere than in parts loads those the delta names by key and hands
// them over with add_lines: the delta applies as on the parts, and add_lines keeps each part
// sorted when it adds to lines already there.
TEST(StoredInventory, ItemsHandedOverByKeyTakeDeltasAsTheirParts) {
  auto base = sample();
  auto all = split_inventory(base);
  ASSERT_TRUE(all);
  std::map<std::string, std::string> line_of;  // key -> line, as a row keeps it
  for (const auto& [part, text] : all->collections) {
    if (part.first != "/facts/software/dpkg/packages") continue;
    std::size_t at = 0;
    while (at < text.size()) {
      auto end = text.find('\n', at);
      auto line = text.substr(at, end - at);
      line_of[line.substr(0, line.find('\t'))] = line;
      at = end + 1;
    }
  }
  ASSERT_EQ(line_of.size(), 40u);

  auto current = base;
  dpkg(current)[3]["version"] = "2.0";
  dpkg(current).erase(dpkg(current).begin() + 5);
  dpkg(current).push_back(deb("zz-new", "1"));
  protocol::normalize_inventory(current);
  auto changes = protocol::diff_inventory(base, current);
  auto needed = collections_needed(changes, false);
  ASSERT_TRUE(needed);
  ASSERT_EQ(needed->keys.size(), 3u);
  StoredInventory state;
  state.skeleton = all->skeleton;
  std::vector<std::string> lines;
  for (const auto& k : needed->keys) {
    EXPECT_EQ(k.path, "/facts/software/dpkg/packages");
    EXPECT_FALSE(k.name.empty());
    if (line_of.contains(k.key)) lines.push_back(line_of[k.key]);
  }
  EXPECT_EQ(lines.size(), 2u);  // the new item has no line yet
  add_lines(state.collections, "/facts/software/dpkg/packages", lines);
  ASSERT_TRUE(apply_delta(state, changes));
  EXPECT_EQ(hash_of(state), *protocol::inventory_hash(current));

  // Added to a part's lines, in order; a line without a tab is left out.
  Parts parts;
  auto key = [](int i) { return "{\"name\":\"k" + std::to_string(i) + "\"}"; };
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back(key(i) + "\t{}");
  add_lines(parts, "/p", {many.begin() + 150, many.end()});
  add_lines(parts, "/p", {many.begin(), many.begin() + 150});
  add_lines(parts, "/p", {"no tab here"});
  std::size_t count = 0;
  for (const auto& [part, text] : parts) {
    EXPECT_EQ(part.first, "/p");
    std::vector<std::string> seen;
    std::size_t at = 0;
    while (at < text.size()) {
      auto end = text.find('\n', at);
      ASSERT_NE(end, std::string::npos);
      seen.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    for (const auto& l : seen) EXPECT_EQ(bucket_of(l.substr(0, l.find('\t'))), part.second);
    count += seen.size();
  }
  EXPECT_EQ(count, 300u);

  // Added to a part that is unreadable: it stays unreadable, and a delta on it is refused.
  StoredInventory broken;
  broken.skeleton = all->skeleton;
  const auto& named = needed->keys.front();
  Part where{named.path, bucket_of(named.key)};
  broken.collections[where] = "not a line\n";
  add_lines(broken.collections, where.first, lines);
  EXPECT_TRUE(broken.collections[where].starts_with("not a line\n"));
  auto refused = apply_delta(broken, changes);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "inventory.delta_invalid");
}

// A collection stored in another layout of parts (64 before 2026-11-25): it reads back whole,
// and a delta that looks for an item in the part this layout says is refused (the agent then
// sends a full report, stored in this layout), never applied to the wrong items.
TEST(StoredInventory, PartsOfAnotherLayoutReadBackAndTheirDeltasAreRefused) {
  auto base = sample();
  auto all = split_inventory(base);
  ASSERT_TRUE(all);
  Parts moved;  // every part one bucket further on: each item sits in a part it does not hash to
  for (const auto& [part, lines] : all->collections) {
    moved[Part{part.first, (part.second + 1) % kBuckets}] = lines;
  }
  EXPECT_EQ(assemble_inventory(all->skeleton, moved), base);

  auto current = base;
  dpkg(current).erase(dpkg(current).begin() + 3);
  protocol::normalize_inventory(current);
  auto changes = protocol::diff_inventory(base, current);
  auto needed = collections_needed(changes, false);
  ASSERT_TRUE(needed);
  StoredInventory state;
  state.skeleton = all->skeleton;
  for (const auto& part : needed->parts) {
    if (moved.contains(part)) state.collections[part] = moved[part];
  }
  auto r = apply_delta(state, changes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "inventory.delta_invalid");
}

// Lines written before lines dropped the item digest: "<64 hex>\t<key>\t<item>".
TEST(StoredInventory, LinesWithTheirDigestFromBeforeStillReadAndTakeDeltas) {
  auto base = sample();
  auto current = base;
  dpkg(current)[3]["version"] = "2.0";
  dpkg(current).erase(dpkg(current).begin() + 5);
  protocol::normalize_inventory(current);
  auto changes = protocol::diff_inventory(base, current);
  auto state = loaded_for(base, changes);
  auto old_style = [](const std::string& lines) {
    std::string out;
    std::size_t at = 0;
    while (at < lines.size()) {
      auto end = lines.find('\n', at);
      auto line = lines.substr(at, end - at);
      auto item = line.substr(line.find('\t') + 1);
      out += protocol::text_digest(item)->hex() + "\t" + line + "\n";
      at = end + 1;
    }
    return out;
  };
  ASSERT_FALSE(state.collections.empty());
  for (auto& [part, lines] : state.collections) {
    ASSERT_EQ(std::count(lines.begin(), lines.end(), '\t'),
              std::count(lines.begin(), lines.end(), '\n'));  // key<TAB>item now
    lines = old_style(lines);
  }
  auto all = split_inventory(base);
  ASSERT_TRUE(all);
  Parts old_parts;
  for (const auto& [part, lines] : all->collections) old_parts[part] = old_style(lines);
  EXPECT_EQ(assemble_inventory(all->skeleton, old_parts), base);

  ASSERT_TRUE(apply_delta(state, changes));
  EXPECT_EQ(hash_of(state), *protocol::inventory_hash(current));
}

TEST(StoredInventory, AWholeDocumentFromBeforeReadsBackAsItIs) {
  auto doc = sample();
  EXPECT_EQ(assemble_inventory(doc, {}), doc);
}

}  // namespace
}  // namespace relman::controller::inventory
