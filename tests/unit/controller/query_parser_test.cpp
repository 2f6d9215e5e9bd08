#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controller/query/query.hpp"

namespace relman::controller::query {
namespace {

std::string canonical(const std::string& text) {
  auto q = parse_query(text);
  EXPECT_TRUE(q.has_value()) << text << ": " << (q ? "" : q.error().describe());
  return q ? canonical_text(*q) : "";
}

struct Printed {
  std::string input;
  std::string canonical;
};

TEST(QueryParse, AndBindsTighterThanOrAndNotTighterThanBoth) {
  const std::vector<Printed> cases = {
      {"a == 1 or b == 2 and c == 3", "(a == 1 or (b == 2 and c == 3))"},
      {"a == 1 and b == 2 or c == 3", "((a == 1 and b == 2) or c == 3)"},
      {"not a == 1 and b == 2", "(not a == 1 and b == 2)"},
      {"not a == 1 or b == 2", "(not a == 1 or b == 2)"},
      {"not (a == 1 or b == 2)", "not (a == 1 or b == 2)"},
      {"not (cpu.cores < 4) or groups contains \"web\"",
       "(not cpu.cores < 4 or groups contains \"web\")"},
      {"a == 1 or b == 2 and not c == 3 or d == 4",
       "(a == 1 or (b == 2 and not c == 3) or d == 4)"},
      {"not not a exists", "not not a exists"},
  };
  for (const auto& c : cases) EXPECT_EQ(canonical(c.input), c.canonical) << c.input;
}

TEST(QueryParse, ChainsOfOneOperatorAreOneGroupAndParenthesesAreKept) {
  const std::vector<Printed> cases = {
      {"a == 1 and b == 2 and c == 3", "(a == 1 and b == 2 and c == 3)"},
      {"a == 1 or b == 2 or c == 3", "(a == 1 or b == 2 or c == 3)"},
      {"(a == 1 and b == 2) and c == 3", "((a == 1 and b == 2) and c == 3)"},
      {"a == 1 and (b == 2 and c == 3)", "(a == 1 and (b == 2 and c == 3))"},
      {"((a == 1))", "a == 1"},
  };
  for (const auto& c : cases) EXPECT_EQ(canonical(c.input), c.canonical) << c.input;
}

TEST(QueryParse, ReadsEveryPredicateAndLiteral) {
  const std::vector<Printed> cases = {
      {"os.id==\"debian\"", "os.id == \"debian\""},
      {"memory_mb >= 2048", "memory_mb >= 2048"},
      {"x != -3", "x != -3"},
      {"x < 0.5", "x < 0.5"},
      {"x <= 2.0", "x <= 2.0"},
      {"x > 10", "x > 10"},
      {"flag == true", "flag == true"},
      {"flag != false", "flag != false"},
      {"os.id in [\"debian\", \"ubuntu\"]", "os.id in [\"debian\", \"ubuntu\"]"},
      {"x in [1,2.5,true,\"s\"]", "x in [1, 2.5, true, \"s\"]"},
      {"groups contains \"web\"", "groups contains \"web\""},
      {"cpu.features contains 42", "cpu.features contains 42"},
      {"hostname like \"web-*\"", "hostname like \"web-*\""},
      {"dmi.product_uuid exists", "dmi.product_uuid exists"},
      {"version >= semver \"1.2.3-rc.1\"", "version >= semver \"1.2.3-rc.1\""},
      {"s == \"a\\\"b\\\\c\"", "s == \"a\\\"b\\\\c\""},
      {"disks.disks.0.size_bytes > 0", "disks.disks.0.size_bytes > 0"},
      {"cmdb.owner-group == \"ops\"", "cmdb.owner-group == \"ops\""},
      {"os.in == 1 and x.not exists", "(os.in == 1 and x.not exists)"},
      {"\ta\n==\r\n1 ", "a == 1"},
      {"any software.dpkg.packages (name == \"openssl\" and version >= \"3.0\")",
       "any software.dpkg.packages (name == \"openssl\" and version >= \"3.0\")"},
      {"any disks.disks (rotational == false)", "any disks.disks (rotational == false)"},
      {"any a (any b (c == 1))", "any a (any b (c == 1))"},
  };
  for (const auto& c : cases) EXPECT_EQ(canonical(c.input), c.canonical) << c.input;
}

TEST(QueryParse, CanonicalTextParsesBackToItself) {
  for (const std::string text :
       {"a == 1 or b == 2 and not (c < 0.25 or d like \"x*\")",
        "any p (n == \"x\" and v >= semver \"1.0.0\") or g in [1, \"two\", false]"}) {
    std::string once = canonical(text);
    EXPECT_EQ(canonical(once), once);
  }
}

TEST(QueryParse, KeepsTheUsersText) {
  auto q = parse_query("  a ==  1 ");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->text(), "  a ==  1 ");
}

struct Refused {
  std::string input;
  std::string code;
  std::string message;
};

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(QueryParse, RefusesBadQueriesWithColumnAndReason) {
  const std::string cond = "expected a condition (a field name, 'not', 'any' or '(')";
  const std::string op =
      "expected an operator (==, !=, <, <=, >, >=, in, contains, like or exists)";
  const std::string value = "expected a value (a string, a number, true, false or semver \"...\")";
  const std::vector<Refused> cases = {
      {"", "query.syntax", "at column 1: " + cond + ", found the end of the query"},
      {"   ", "query.syntax", "at column 4: " + cond + ", found the end of the query"},
      {"a == 1 and", "query.syntax", "at column 11: " + cond + ", found the end of the query"},
      {"and == 1", "query.syntax", "at column 1: " + cond + ", found 'and'"},
      {"true", "query.syntax", "at column 1: " + cond + ", found 'true'"},
      {"== 1", "query.syntax", "at column 1: " + cond + ", found '=='"},
      {"\"s\" == a", "query.syntax", "at column 1: " + cond + ", found string \"s\""},
      {"os.id", "query.syntax", "at column 6: " + op + ", found the end of the query"},
      {"os.id \"x\"", "query.syntax", "at column 7: " + op + ", found string \"x\""},
      {"a not b", "query.syntax", "at column 3: " + op + ", found 'not'"},
      {"os.id = \"x\"", "query.syntax", "at column 7: unexpected '=' (equality is written ==)"},
      {"a ! 1", "query.syntax", "at column 3: unexpected '!' (negation is written not)"},
      {"a == 1 # x", "query.syntax", "at column 8: unexpected character '#'"},
      {"a == \x01", "query.syntax", "at column 6: unexpected character byte 0x01"},
      {"a == ", "query.syntax", "at column 6: " + value + ", found the end of the query"},
      {"a == b", "query.syntax", "at column 6: " + value + ", found 'b'"},
      {"a == (1)", "query.syntax", "at column 6: " + value + ", found '('"},
      {"a == \"abc", "query.syntax", "at column 6: unterminated string"},
      {"a == \"a\\nb\"", "query.syntax",
       "at column 8: unknown escape in string (only \\\" and \\\\ exist)"},
      {"a == \"a\\", "query.syntax",
       "at column 8: unknown escape in string (only \\\" and \\\\ exist)"},
      {"a == 1.2.3", "query.syntax",
       "at column 6: malformed number (write a version as a string: \"1.2.3\")"},
      {"a == 12ab", "query.syntax", "at column 6: malformed number"},
      {"a == -", "query.syntax", "at column 6: malformed number"},
      {"a == -x", "query.syntax", "at column 6: malformed number"},
      {"a == 1.", "query.syntax", "at column 6: malformed number"},
      {"a == 99999999999999999999", "query.syntax", "at column 6: number out of range"},
      {"a == 1 b == 2", "query.syntax",
       "at column 8: expected 'and', 'or' or the end of the query, found 'b'"},
      {"a == 1)", "query.syntax",
       "at column 7: expected 'and', 'or' or the end of the query, found ')'"},
      {"a exists exists", "query.syntax",
       "at column 10: expected 'and', 'or' or the end of the query, found 'exists'"},
      {"(a == 1", "query.syntax", "at column 8: expected ')', found the end of the query"},
      {"(a == 1 b", "query.syntax", "at column 9: expected ')', found 'b'"},
      {"a in 1", "query.syntax", "at column 6: expected '[' after 'in', found number 1"},
      {"a in []", "query.syntax", "at column 7: " + value + ", found ']'"},
      {"a in [1 2]", "query.syntax", "at column 9: expected ',' or ']', found number 2"},
      {"a in [1,", "query.syntax", "at column 9: " + value + ", found the end of the query"},
      {"a in [semver \"1.0.0\"]", "query.syntax",
       "at column 7: expected a string, a number, true or false, found 'semver'"},
      {"a contains semver \"1.0.0\"", "query.syntax",
       "at column 12: expected a string, a number, true or false, found 'semver'"},
      {"a contains", "query.syntax", "at column 11: " + value + ", found the end of the query"},
      {"a like 5", "query.syntax",
       "at column 8: expected a string pattern after 'like', found number 5"},
      {"a < true", "query.syntax", "at column 3: '<' needs a number or a string"},
      {"a >= false", "query.syntax", "at column 3: '>=' needs a number or a string"},
      {"a == semver 5", "query.syntax",
       "at column 13: expected a version string after 'semver', found number 5"},
      {"any (a == 1)", "query.syntax", "at column 5: expected a field name after 'any', found '('"},
      {"any not (a == 1)", "query.syntax",
       "at column 5: expected a field name after 'any', found 'not'"},
      {"any a b == 1", "query.syntax",
       "at column 7: expected '(' after the field of 'any', found 'b'"},
      {"any a (b == 1", "query.syntax", "at column 14: expected ')', found the end of the query"},
      {"a.b. == 1", "query.syntax", "at column 5: expected a field name part after '.'"},
      {"a..b == 1", "query.syntax", "at column 3: expected a field name part after '.'"},
  };
  for (const auto& c : cases) {
    auto q = parse_query(c.input);
    ASSERT_FALSE(q.has_value()) << c.input;
    EXPECT_EQ(q.error().code, c.code) << c.input;
    EXPECT_EQ(q.error().message, c.message) << c.input;
    EXPECT_EQ(q.error().context, "query") << c.input;
  }
}

TEST(QueryParse, RefusesAnInvalidSemverLiteralAtItsColumn) {
  auto q = parse_query("v >= semver \"1.0\"");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, "query.syntax");
  EXPECT_TRUE(q.error().message.starts_with("at column 13: not a semantic version: "))
      << q.error().message;
}

TEST(QueryParse, BoundsLengthDepthAndSizes) {
  std::string longest = "a == \"" + std::string(kMaxQueryBytes - 7, 'x') + "\"";
  ASSERT_EQ(longest.size(), kMaxQueryBytes);
  // Within the byte limit, but the string literal is too long.
  auto literal = parse_query(longest);
  ASSERT_FALSE(literal);
  EXPECT_EQ(literal.error().message, "at column 6: a string is longer than 1024 bytes");
  EXPECT_TRUE(parse_query("a == \"" + std::string(kMaxQueryStringBytes, 'x') + "\""));

  auto too_long = parse_query(std::string(kMaxQueryBytes + 1, ' '));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, "query.too_long");
  EXPECT_EQ(too_long.error().message, "a query is at most 4096 bytes, this one has 4097");

  EXPECT_TRUE(parse_query(repeat("not ", kMaxQueryDepth) + "a exists"));
  auto nots = parse_query(repeat("not ", kMaxQueryDepth + 1) + "a exists");
  ASSERT_FALSE(nots);
  EXPECT_EQ(nots.error().code, "query.too_deep");
  EXPECT_EQ(nots.error().message,
            "at column 129: nesting is deeper than 32 levels of (), not and any");

  EXPECT_TRUE(parse_query(repeat("(", kMaxQueryDepth) + "a exists" + repeat(")", kMaxQueryDepth)));
  auto parens =
      parse_query(repeat("(", kMaxQueryDepth + 1) + "a exists" + repeat(")", kMaxQueryDepth + 1));
  ASSERT_FALSE(parens);
  EXPECT_EQ(parens.error().code, "query.too_deep");
  EXPECT_TRUE(parens.error().message.starts_with("at column 33: ")) << parens.error().message;

  auto anys = parse_query(repeat("any a (", kMaxQueryDepth + 1) + "b exists" +
                          repeat(")", kMaxQueryDepth + 1));
  ASSERT_FALSE(anys);
  EXPECT_EQ(anys.error().code, "query.too_deep");

  std::string path = "p";
  for (std::size_t i = 1; i < kMaxPathParts; ++i) path += ".p";
  EXPECT_TRUE(parse_query(path + " exists"));
  auto parts = parse_query("x == 1 or " + path + ".p exists");
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().message, "at column 11: a field path has more than 16 parts");

  EXPECT_TRUE(parse_query(std::string(kMaxPathPartBytes, 'f') + " exists"));
  auto part = parse_query("a." + std::string(kMaxPathPartBytes + 1, 'f') + " exists");
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().message, "at column 3: a field name part is longer than 128 bytes");

  std::string list = "a in [0";
  for (std::size_t i = 1; i < kMaxListItems; ++i) list += ",0";
  EXPECT_TRUE(parse_query(list + "]"));
  auto items = parse_query(list + ",7]");
  ASSERT_FALSE(items);
  EXPECT_EQ(items.error().message,
            "at column " + std::to_string(list.size() + 2) + ": a list has more than 256 values");
}

TEST(QueryParse, ShortensLongStringsInMessages) {
  auto q = parse_query("\"abcdefghijklmnopqrstuvwxyz0123\"");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "at column 1: expected a condition (a field name, 'not', 'any' or '('), found string "
            "\"abcdefghijklmnopqrstuvwx...\"");
}

TEST(QueryFields, ListsEveryFieldOnceSortedWithArrayElementsMarked) {
  auto q = parse_query(
      "os.id == \"debian\" and (memory_mb >= 2048 or not os.id exists) and "
      "any software.dpkg.packages (name == \"openssl\" and version >= \"3\") and "
      "hostname like \"w*\" and groups contains \"web\" and any disks.disks (any parts (n in "
      "[1]))");
  ASSERT_TRUE(q);
  EXPECT_EQ(referenced_fields(*q),
            (std::vector<std::string>{
                "disks.disks", "disks.disks[].parts", "disks.disks[].parts[].n", "groups",
                "hostname", "memory_mb", "os.id", "software.dpkg.packages",
                "software.dpkg.packages[].name", "software.dpkg.packages[].version"}));
}

}  // namespace
}  // namespace relman::controller::query
