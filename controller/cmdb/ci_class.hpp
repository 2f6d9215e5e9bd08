// CI classes and their attribute schemas. Built-in classes (host, software, hardware,
// service, network) have fixed schemas; user-defined classes bring their own. Attributes of a
// CI are one JSON object validated against its class: every key must be in the schema, every
// value must have the declared type, every required attribute must be present.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::controller::cmdb {

enum class AttributeType { kString, kNumber, kBool, kEnum };

struct AttributeSpec {
  AttributeType type = AttributeType::kString;
  bool required = false;
  std::vector<std::string> values;  // kEnum only: the allowed values
};

struct CiClass {
  std::string name;
  std::string description;
  bool builtin = false;
  std::map<std::string, AttributeSpec> attributes;
};

inline constexpr std::size_t kMaxAttributes = 100;            // per class and per CI
inline constexpr std::size_t kMaxEnumValues = 100;            // per enum attribute
inline constexpr std::size_t kMaxAttributeValueBytes = 4096;  // one string value

// The five classes every CMDB has.
const std::vector<CiClass>& builtin_classes();
bool is_builtin_class(std::string_view name);

// Class and attribute names: lower case letter, then lower case letters, digits and '_',
// at most 64 bytes.
bool valid_class_name(std::string_view name);
bool valid_attribute_name(std::string_view name);

// Schema JSON: {"name": "...", "description": "...", "attributes": {"<attr>": {"type":
// "string|number|bool|enum", "required": bool, "values": [...]}}}. Refuses bad names, unknown
// types, enums without values, unknown fields (cmdb.invalid_class naming the field) and names
// of built-in classes (cmdb.class_exists).
Result<CiClass> class_from_json(const nlohmann::json& doc);
nlohmann::json to_json(const CiClass& c);
std::string_view type_name(AttributeType t);

// Checks a CI's attribute object against its class: cmdb.invalid_attribute with the
// attribute's name as context when one is unknown, of the wrong type, not an allowed enum
// value, too long, or required and missing.
Result<void> validate_attributes(const CiClass& c, const nlohmann::json& attributes);

// RFC 7386 merge of a patch into an attribute object: a null value removes the attribute.
nlohmann::json merge_attributes(const nlohmann::json& current, const nlohmann::json& patch);

}  // namespace relman::controller::cmdb
