#include "controller/cmdb/ci_class.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace relman::controller::cmdb {
namespace {
using nlohmann::json;

const CiClass& builtin(const std::string& name) {
  for (const auto& c : builtin_classes()) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no builtin " + name);
}

CiClass database_class() {
  auto c = class_from_json(json::parse(R"({
    "name": "database", "description": "a database instance",
    "attributes": {
      "engine": {"type": "enum", "values": ["postgresql", "mariadb"], "required": true},
      "port": {"type": "number"},
      "replicated": {"type": "bool"},
      "dsn": {"type": "string", "required": false}
    }})"));
  EXPECT_TRUE(c.has_value()) << c.error().describe();
  return *c;
}

TEST(CiClass, BuiltinClassesAreTheFiveOfTheDesign) {
  std::vector<std::string> names;
  for (const auto& c : builtin_classes()) names.push_back(c.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"host", "software", "hardware", "service", "network"}));
  EXPECT_TRUE(is_builtin_class("host"));
  EXPECT_FALSE(is_builtin_class("database"));
}

TEST(CiClass, ParsesUserDefinedSchemaAndRoundTrips) {
  CiClass c = database_class();
  EXPECT_EQ(c.name, "database");
  EXPECT_FALSE(c.builtin);
  ASSERT_EQ(c.attributes.size(), 4u);
  EXPECT_EQ(c.attributes["engine"].type, AttributeType::kEnum);
  EXPECT_TRUE(c.attributes["engine"].required);
  EXPECT_EQ(c.attributes["engine"].values, (std::vector<std::string>{"postgresql", "mariadb"}));
  json j = to_json(c);
  EXPECT_EQ(j["attributes"]["port"]["type"], "number");
  j.erase("builtin");
  auto again = class_from_json(j);
  ASSERT_TRUE(again.has_value()) << again.error().describe();
  EXPECT_EQ(to_json(*again), to_json(c));
}

Error class_error(const std::string& text) {
  auto c = class_from_json(json::parse(text));
  EXPECT_FALSE(c.has_value()) << text;
  return c ? Error{} : c.error();
}

TEST(CiClass, RefusesBadSchemas) {
  auto e = class_from_json(json::array());
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, "cmdb.invalid_class");

  e = class_from_json(json{{"name", "Database"}, {"attributes", json::object()}});
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().context, "name");

  Error err = class_error(R"({"name": "db"})");
  EXPECT_EQ(err.code, "cmdb.invalid_class");
  EXPECT_EQ(err.context, "attributes");

  err = class_error(R"({"name": "db", "attributes": {}, "colour": "red"})");
  EXPECT_EQ(err.context, "colour");

  err = class_error(R"({"name": "db", "attributes": {"port": {"type": "integer"}}})");
  EXPECT_EQ(err.code, "cmdb.invalid_class");
  EXPECT_EQ(err.context, "attributes.port.type");

  err = class_error(R"({"name": "db", "attributes": {"engine": {"type": "enum"}}})");
  EXPECT_EQ(err.context, "attributes.engine.values");

  err =
      class_error(R"({"name": "db", "attributes": {"e": {"type": "enum", "values": ["a","a"]}}})");
  EXPECT_EQ(err.context, "attributes.e.values");

  err =
      class_error(R"({"name": "db", "attributes": {"port": {"type": "number", "values": ["1"]}}})");
  EXPECT_EQ(err.context, "attributes.port.values");

  err = class_error(R"({"name": "db", "attributes": {"port": {"type": "number", "required": 1}}})");
  EXPECT_EQ(err.context, "attributes.port.required");

  err = class_error(R"({"name": "db", "attributes": {"port": {"type": "number", "min": 1}}})");
  EXPECT_EQ(err.context, "attributes.port.min");

  err = class_error(R"({"name": "db", "attributes": {"Port": {"type": "number"}}})");
  EXPECT_EQ(err.context, "attributes.Port");

  err = class_error(R"({"name": "db'; DROP TABLE cmdb_cis; --", "attributes": {}})");
  EXPECT_EQ(err.context, "name");
}

TEST(CiClass, RefusesTheNameOfABuiltinClass) {
  Error err = class_error(R"({"name": "host", "attributes": {}})");
  EXPECT_EQ(err.code, "cmdb.class_exists");
}

TEST(CiClass, ValidatesAttributesAgainstTheSchema) {
  CiClass c = database_class();
  EXPECT_TRUE(validate_attributes(
      c, json{{"engine", "postgresql"}, {"port", 5432}, {"replicated", true}, {"dsn", "x"}}));
  EXPECT_TRUE(validate_attributes(c, json{{"engine", "mariadb"}, {"port", 3306.5}}));
  EXPECT_TRUE(validate_attributes(builtin("host"), json::object()));
}

void expect_invalid(const CiClass& c, const json& attrs, const std::string& attribute) {
  auto r = validate_attributes(c, attrs);
  ASSERT_FALSE(r.has_value()) << attrs.dump();
  EXPECT_EQ(r.error().code, "cmdb.invalid_attribute") << attrs.dump();
  EXPECT_EQ(r.error().context, attribute) << attrs.dump();
  EXPECT_NE(r.error().message.find(attribute), std::string::npos) << r.error().message;
}

TEST(CiClass, RefusesInvalidAttributesNamingThem) {
  CiClass c = database_class();
  expect_invalid(c, json{{"port", 1}}, "engine");                            // required
  expect_invalid(c, json{{"engine", "oracle"}}, "engine");                   // not in enum
  expect_invalid(c, json{{"engine", 1}}, "engine");                          // enum type
  expect_invalid(c, json{{"engine", "mariadb"}, {"port", "5432"}}, "port");  // number
  expect_invalid(c, json{{"engine", "mariadb"}, {"port", true}}, "port");    // bool != num
  expect_invalid(c, json{{"engine", "mariadb"}, {"replicated", "yes"}}, "replicated");
  expect_invalid(c, json{{"engine", "mariadb"}, {"dsn", 7}}, "dsn");
  expect_invalid(c, json{{"engine", "mariadb"}, {"dsn", std::string(5000, 'x')}}, "dsn");
  expect_invalid(c, json{{"engine", "mariadb"}, {"colour", "red"}}, "colour");  // unknown
  expect_invalid(builtin("host"), json{{"memory_mb", "lots"}}, "memory_mb");
  auto r = validate_attributes(c, json::array());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "cmdb.invalid_attribute");
}

TEST(CiClass, MergePatchReplacesAddsAndRemoves) {
  json current{{"a", 1}, {"b", "x"}};
  json merged = merge_attributes(current, json{{"a", 2}, {"b", nullptr}, {"c", true}});
  EXPECT_EQ(merged, (json{{"a", 2}, {"c", true}}));
  EXPECT_EQ(merge_attributes(json(), json{{"a", 1}}), (json{{"a", 1}}));
}

}  // namespace
}  // namespace relman::controller::cmdb
