#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "controller/query/host_document.hpp"
#include "controller/query/query.hpp"

namespace relman::controller::query {
namespace {

using nlohmann::json;

bool eval(const std::string& text, const json& doc) {
  auto q = parse_query(text);
  EXPECT_TRUE(q.has_value()) << text << ": " << (q ? "" : q.error().describe());
  return q && matches(*q, doc);
}

struct Row {
  std::string query;
  bool expected;
};

void check(const std::vector<Row>& rows, const json& doc) {
  for (const auto& r : rows) EXPECT_EQ(eval(r.query, doc), r.expected) << r.query;
}

// The agent's report for tests/fixtures/inventory/server (kept in sync with the collectors by
// tests/unit/agent/inventory_report_test.cpp).
json server_report() {
  std::ifstream in(std::filesystem::path(RELMAN_SOURCE_DIR) /
                   "tests/fixtures/inventory/reports/server.json");
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

json server() { return host_document("agent-7", {"web", "berlin"}, server_report()); }

TEST(QueryEvaluate, AnswersQuestionsAboutARealInventoryReport) {
  check(
      {
          {"os.id == \"debian\" and memory_mb >= 2048", true},
          {"os.id == \"debian\" and memory_mb >= 300000", false},
          {"os_id == \"debian\" and os.version_id == \"12\"", true},
          {"os.version_id >= \"12\" and os.version_id < \"13\"", true},
          {"os.version_codename in [\"bookworm\", \"trixie\"]", true},
          {"kernel like \"6.1.*\" and kernel >= \"6.1.0-18-amd64\"", true},
          {"os.kernel like \"5.*\"", false},
          {"cpu.threads == 8 and cpu_count == 8", true},
          {"not (cpu.threads < 4) or groups contains \"db\"", true},
          {"cpu.threads < 4 or groups contains \"db\"", false},
          {"groups contains \"web\" and id == \"agent-7\"", true},
          {"hostname like \"*.example.org\"", true},
          {"architecture == \"\"", true},  // the fixture has no proc/sys/kernel/arch
          {"any software.dpkg.packages (name == \"openssl\")", true},
          {"any software.dpkg.packages (name == \"openssl\" and version >= \"3.0.11-1~deb12u2\")",
           true},
          {"any software.dpkg.packages (name == \"openssl\" and version >= \"3.0.16\")", false},
          {"any software.dpkg.packages (name == \"libc6\" and version > \"2.36-9\")", true},
          {"any software.dpkg.packages (name == \"nginx\")", false},
          {"not any software.dpkg.packages (name == \"telnetd\")", true},
          {"software.dpkg.truncated == false", true},
          {"any network.interfaces (name == \"eth0\")", true},
          {"cmdb.stage == \"production\"", false},
      },
      server());
}

TEST(QueryEvaluate, MissingFieldsMakeEveryConditionFalseButNotTurnsThatAround) {
  const json doc = {{"a", 1}, {"n", nullptr}};
  check(
      {
          {"missing == 1", false},
          {"missing != 1", false},
          {"missing < 1", false},
          {"missing in [1]", false},
          {"missing contains 1", false},
          {"missing like \"*\"", false},
          {"missing exists", false},
          {"any missing (a == 1)", false},
          {"not missing == 1", true},
          {"not missing exists", true},
          {"n exists", false},  // null counts as missing
          {"n == 1 or n != 1", false},
          {"a.b == 1", false},  // a path through a number
          {"a exists", true},
      },
      doc);
}

TEST(QueryEvaluate, ComparesOnlyValuesOfTheSameKind) {
  const json doc = {{"i", 2048},       {"u", 18446744073709551615ull},
                    {"d", 2.5},        {"neg", -4},
                    {"s", "2048"},     {"b", true},
                    {"o", {{"x", 1}}}, {"arr", {1, 2}}};
  check(
      {
          {"i == 2048", true},
          {"i == 2048.0", true},
          {"i != 2048", false},
          {"i != \"2048\"", true},
          {"i == \"2048\"", false},
          {"s == \"2048\"", true},
          {"s == 2048", false},
          {"s > 1", false},
          {"i > \"1\"", false},
          {"i >= 2048 and i <= 2048 and i > 2047 and i < 2049", true},
          {"u > 9223372036854775807", true},
          {"u == -1", false},
          {"d > 2 and d < 3 and d == 2.5", true},
          {"neg < -3 and neg >= -4", true},
          {"b == true and b != false", true},
          {"b == 1", false},
          {"o == 1 or o < 1", false},
          {"o != 1", true},
          {"arr == 1", false},
          {"o.x == 1", true},
      },
      doc);
}

TEST(QueryEvaluate, OrdersStringsAsDebianVersionsAndSemverOnRequest) {
  const json doc = {{"deb", "1.0~rc1-1"},
                    {"up", "1.10"},
                    {"host", "web10"},
                    {"pre", "1.2.3-rc.1"},
                    {"bad", "not a version"}};
  check(
      {
          {"deb < \"1.0-1\"", true},  // ~ sorts before the release
          {"up > \"1.9\"", true},     // numerically, not byte-wise
          {"host > \"web9\"", true},
          {"deb == \"1.0~rc1-1\"", true},
          {"up == \"1.10.0\"", false},       // == compares the text exactly
          {"pre > \"1.2.3\"", true},         // Debian: "-rc.1" is a revision
          {"pre < semver \"1.2.3\"", true},  // semver: a pre-release
          {"pre == semver \"1.2.3-rc.1+build.5\"", true},
          {"pre >= semver \"1.2.4\"", false},
          {"bad < semver \"9.9.9\" or bad >= semver \"0.0.0\"", false},
          {"bad != semver \"1.0.0\"", true},
      },
      doc);
}

TEST(QueryEvaluate, ContainsLooksIntoArraysAndStrings) {
  const json doc = {{"groups", {"web", "berlin"}},
                    {"nums", {1, 2.5, true}},
                    {"text", "Intel(R) Xeon(R)"},
                    {"n", 5}};
  check(
      {
          {"groups contains \"web\"", true},
          {"groups contains \"we\"", false},  // elements compare whole
          {"nums contains 2.5 and nums contains 1 and nums contains true", true},
          {"nums contains \"1\"", false},
          {"text contains \"Xeon\"", true},
          {"text contains \"xeon\"", false},  // case-sensitive
          {"text contains 5", false},
          {"n contains 5", false},
          {"groups in [\"web\"]", false},  // in compares the value, an array here
      },
      doc);
}

TEST(QueryEvaluate, LikeMatchesGlobPatterns) {
  const json doc = {{"h", "web-01.example.org"}, {"star", "a*b"}, {"empty", ""}, {"n", 1}};
  check(
      {
          {"h like \"web-*\"", true},
          {"h like \"*.example.org\"", true},
          {"h like \"web-??.example.org\"", true},
          {"h like \"web-?.example.org\"", false},
          {"h like \"*\"", true},
          {"h like \"web\"", false},  // the whole value must match
          {"h like \"*-*-*\"", false},
          {"h like \"w*e*b*0*1*.*o*r*g\"", true},
          {"star like \"a\\\\*b\"", true},  // \* is a literal star
          {"h like \"a\\\\*b\"", false},
          {"star like \"a\\\\?b\"", false},
          {"empty like \"*\" and empty like \"\"", true},
          {"empty like \"?\"", false},
          {"n like \"1\"", false},
      },
      doc);
}

TEST(QueryEvaluate, LikeStaysLinearOnPathologicalPatterns) {
  // A backtracking regex engine would take exponential time here; the glob matcher is
  // O(pattern * text), so this finishes at once (no timing assertion: it just has to return).
  const json doc = {{"s", std::string(4000, 'a')}};
  EXPECT_FALSE(eval("s like \"" + std::string(200, '*') + "b\"", doc));
  std::string pattern;
  for (int i = 0; i < 150; ++i) pattern += "*a";
  EXPECT_TRUE(eval("s like \"" + pattern + "\"", doc));
}

TEST(QueryEvaluate, InMatchesAnyListedValue) {
  const json doc = {{"id", "debian"}, {"n", 3}};
  check(
      {
          {"id in [\"ubuntu\", \"debian\"]", true},
          {"id in [\"ubuntu\"]", false},
          {"n in [1, 2, 3.0]", true},
          {"n in [\"3\"]", false},
      },
      doc);
}

TEST(QueryEvaluate, AnyEvaluatesItsBodyOnEachElement) {
  const json doc = {{"disks",
                     {{{"name", "sda"}, {"rotational", true}, {"size", 100}},
                      {{"name", "nvme0n1"}, {"rotational", false}, {"size", 2000}}}},
                    {"scalars", {1, 2, 3}},
                    {"nested", {{{"parts", {{{"n", 1}}, {{"n", 2}}}}}}},
                    {"obj", {{"name", "x"}}}};
  check(
      {
          {"any disks (rotational == false and size > 1000)", true},
          {"any disks (rotational == true and size > 1000)", false},
          {"not any disks (name == \"sdb\")", true},
          {"any disks (disks exists)", false},  // paths are relative to the element
          {"any scalars (x exists)", false},
          {"any nested (any parts (n == 2))", true},
          {"any nested (any parts (n == 3))", false},
          {"any obj (name == \"x\")", false},  // only arrays
          {"disks.1.name == \"nvme0n1\" and disks.2.name exists", false},
          {"disks.1.name == \"nvme0n1\"", true},
          {"disks.x.name exists", false},
      },
      doc);
}

TEST(QueryEvaluate, IsDeterministicAndSafeOnEveryKindOfDocument) {
  auto q = parse_query("a.b == 1 or any a (b == 1) or a like \"*\" or a contains 1 or a exists");
  ASSERT_TRUE(q);
  for (const json& doc : {json(nullptr), json(1), json("s"), json::array(), json::object(),
                          json{{"a", nullptr}}, json{{"a", json::array({nullptr, 1})}}}) {
    bool first = matches(*q, doc);
    EXPECT_EQ(matches(*q, doc), first) << doc.dump();
  }
  EXPECT_FALSE(matches(*q, json(1)));
  EXPECT_TRUE(matches(*q, json{{"a", json::array({nullptr, 1})}}));
}

TEST(HostDocument, PutsFactsBasicsAndIdentityAtTheTop) {
  json report = {{"type", "inventory"},
                 {"hostname", "h1"},
                 {"memory_mb", 4096},
                 {"facts", {{"os", {{"id", "debian"}}}, {"hostname", "from-facts"}, {"id", "x"}}}};
  auto doc = host_document("agent-1", {"web"}, report, {{"stage", "production"}});
  EXPECT_EQ(doc["id"], "agent-1");   // identity wins over facts
  EXPECT_EQ(doc["hostname"], "h1");  // basic fields win over facts
  EXPECT_EQ(doc["memory_mb"], 4096);
  EXPECT_EQ(doc["os"]["id"], "debian");
  EXPECT_EQ(doc["groups"], json({"web"}));
  EXPECT_EQ(doc["cmdb"]["stage"], "production");
  EXPECT_FALSE(doc.contains("facts"));
  EXPECT_FALSE(doc.contains("type"));
}

TEST(HostDocument, ToleratesAHostThatNeverReported) {
  for (const json& inventory :
       {json::object(), json(nullptr), json("x"), json{{"facts", "not an object"}}}) {
    auto doc = host_document("agent-2", {}, inventory, json(3));
    EXPECT_EQ(doc, (json{{"id", "agent-2"}, {"groups", json::array()}, {"cmdb", json::object()}}))
        << inventory.dump();
  }
}

}  // namespace
}  // namespace relman::controller::query
