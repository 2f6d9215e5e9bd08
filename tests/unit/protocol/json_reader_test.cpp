#include "protocol/json_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace relman::protocol {
namespace {

using nlohmann::json;

TEST(JsonReader, ReadsPresentFieldsOfTheRightType) {
  json j = {{"name", "web"}, {"count", 3}, {"on", true}, {"list", {1, 2}}, {"obj", {{"a", 1}}}};
  JsonReader r(j);
  EXPECT_EQ(r.string("name"), "web");
  EXPECT_EQ(r.integer("count", 0, 10), 3);
  EXPECT_TRUE(r.boolean("on"));
  ASSERT_NE(r.array("list", 5), nullptr);
  ASSERT_NE(r.object("obj"), nullptr);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.finish_strict());
}

TEST(JsonReader, MissingRequiredFieldIsNamed) {
  json j = json::object();
  JsonReader r(j, "order");
  r.string("host_id");
  auto done = r.finish_tolerant();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "protocol.missing_field");
  EXPECT_EQ(done.error().context, "order.host_id");
}

TEST(JsonReader, NullCountsAsMissing) {
  json j = {{"a", nullptr}};
  JsonReader r(j);
  EXPECT_FALSE(r.optional_string("a").has_value());
  EXPECT_TRUE(r.ok());
  r.integer("a", 0, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()->code, "protocol.missing_field");
}

TEST(JsonReader, WrongTypesAreRefused) {
  struct Case {
    json value;
    std::function<void(JsonReader&)> read;
  };
  std::vector<Case> cases = {
      {1, [](JsonReader& r) { r.string("f"); }},
      {"1", [](JsonReader& r) { r.integer("f", 0, 10); }},
      {1.5, [](JsonReader& r) { r.integer("f", 0, 10); }},
      {"true", [](JsonReader& r) { r.boolean("f"); }},
      {json::object(), [](JsonReader& r) { r.array("f", 10); }},
      {json::array(), [](JsonReader& r) { r.object("f"); }},
  };
  for (auto& c : cases) {
    json j = {{"f", c.value}};
    JsonReader r(j);
    c.read(r);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.error()->code, "protocol.wrong_type") << j.dump();
    EXPECT_EQ(r.error()->context, "f");
  }
}

TEST(JsonReader, RangesAndLengthsAreEnforced) {
  json j = {{"n", 11},
            {"s", std::string(9, 'x')},
            {"e", ""},
            {"l", {1, 2, 3}},
            {"big", 18446744073709551615ull}};
  {
    JsonReader r(j);
    r.integer("n", 0, 10);
    EXPECT_EQ(r.error()->code, "protocol.out_of_range");
  }
  {
    JsonReader r(j);
    r.string("s", 8);
    EXPECT_EQ(r.error()->code, "protocol.too_long");
  }
  {
    JsonReader r(j);
    r.string("e");
    EXPECT_EQ(r.error()->code, "protocol.empty_field");
    JsonReader r2(j);
    EXPECT_EQ(r2.string("e", 8, /*allow_empty=*/true), "");
    EXPECT_TRUE(r2.ok());
  }
  {
    JsonReader r(j);
    r.array("l", 2);
    EXPECT_EQ(r.error()->code, "protocol.too_many_items");
  }
  {
    JsonReader r(j);
    r.integer("big", 0, INT64_MAX);
    EXPECT_EQ(r.error()->code, "protocol.out_of_range");
  }
}

TEST(JsonReader, FirstErrorWins) {
  json j = {{"a", 1}};
  JsonReader r(j);
  r.string("missing");
  r.string("a");
  EXPECT_EQ(r.error()->code, "protocol.missing_field");
  EXPECT_EQ(r.error()->context, "missing");
}

TEST(JsonReader, StrictRefusesUnknownFieldsTolerantIgnoresThem) {
  json j = {{"known", "x"}, {"extra", 1}};
  JsonReader strict(j, "doc");
  strict.string("known");
  auto done = strict.finish_strict();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "protocol.unknown_field");
  EXPECT_EQ(done.error().context, "doc.extra");

  JsonReader tolerant(j, "doc");
  tolerant.string("known");
  EXPECT_TRUE(tolerant.finish_tolerant());

  JsonReader allowed(j, "doc");
  allowed.string("known");
  allowed.allow("extra");
  EXPECT_TRUE(allowed.finish_strict());
}

TEST(JsonReader, RejectRecordsCallerError) {
  json j = {{"phase", "x"}};
  JsonReader r(j, "p");
  r.string("phase");
  r.reject("phase", "protocol.invalid_value", "unknown phase");
  auto done = r.finish_tolerant();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, "protocol.invalid_value");
  EXPECT_EQ(done.error().context, "p.phase");
}

TEST(JsonReader, NonObjectIsRefused) {
  json j = json::array();
  JsonReader r(j, "order");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error()->code, "protocol.not_an_object");
  EXPECT_EQ(r.error()->context, "order");
}

TEST(ParseJsonObject, RefusesTooLargeMalformedAndNonObjects) {
  auto big = parse_json_object(R"({"a":"0123456789"})", 10, "body");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "protocol.too_large");
  auto bad = parse_json_object("{nope", 100, "body");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "protocol.malformed_json");
  EXPECT_EQ(bad.error().context, "body");
  auto arr = parse_json_object("[1]", 100, "body");
  ASSERT_FALSE(arr);
  EXPECT_EQ(arr.error().code, "protocol.not_an_object");
  auto good = parse_json_object(R"({"a":1})", 100, "body");
  ASSERT_TRUE(good);
  EXPECT_EQ((*good)["a"], 1);
}

}  // namespace
}  // namespace relman::protocol
