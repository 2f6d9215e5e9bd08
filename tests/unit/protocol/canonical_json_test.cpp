#include "protocol/canonical_json.hpp"

#include <gtest/gtest.h>

namespace relman::protocol {
namespace {

using nlohmann::json;

TEST(CanonicalJson, SortsKeysAndDropsWhitespace) {
  auto doc = json::parse(R"({ "b" : 1, "a" : { "z" : [ 1, 2 ], "y" : "t" }, "A": true })");
  auto text = canonical_json(doc);
  ASSERT_TRUE(text) << text.error().describe();
  EXPECT_EQ(*text, R"({"A":true,"a":{"y":"t","z":[1,2]},"b":1})");
}

TEST(CanonicalJson, SameOutputForDifferentlyOrderedInput) {
  auto one = canonical_json(json::parse(R"({"x":1,"y":{"b":2,"a":3},"z":"s"})"));
  auto two =
      canonical_json(json::parse("{\n  \"z\": \"s\",\n  \"y\": {\"a\": 3, \"b\": 2},\n"
                                 "  \"x\": 1\n}"));
  ASSERT_TRUE(one);
  ASSERT_TRUE(two);
  EXPECT_EQ(*one, *two);
}

TEST(CanonicalJson, RefusesFloatsAnywhere) {
  for (const char* text : {R"({"a":1.5})", R"({"a":[1,2.0]})", R"({"a":{"b":1e3}})"}) {
    auto r = canonical_json(json::parse(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "protocol.non_canonical_number") << text;
  }
}

TEST(CanonicalJson, KeepsIntegersAndUnicode) {
  json doc = {{"n", -42}, {"big", 9007199254740993LL}, {"s", "caf\xc3\xa9"}};
  auto r = canonical_json(doc);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "{\"big\":9007199254740993,\"n\":-42,\"s\":\"caf\xc3\xa9\"}");
}

TEST(CanonicalJson, RefusesInvalidUtf8) {
  json doc = {{"s", std::string("\xff\xfe")}};
  auto r = canonical_json(doc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.invalid_utf8");
}

}  // namespace
}  // namespace relman::protocol
