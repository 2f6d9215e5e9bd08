#include "controller/cmdb/ci_class.hpp"

#include <algorithm>

#include "protocol/json_limits.hpp"

namespace relman::controller::cmdb {
using nlohmann::json;

namespace {

AttributeSpec text() { return AttributeSpec{AttributeType::kString, false, {}}; }
AttributeSpec number() { return AttributeSpec{AttributeType::kNumber, false, {}}; }

std::vector<CiClass> make_builtins() {
  // Nothing is required in the built-in classes: agents create host CIs before their first
  // inventory report, and reconciliation fills attributes in as facts arrive.
  return {
      CiClass{"host",
              "a server or workstation; agents' hosts appear here by themselves",
              true,
              {{"hostname", text()},
               {"os", text()},
               {"agent_id", text()},
               {"fqdn", text()},
               {"ip_address", text()},
               {"memory_mb", number()},
               {"cpu_count", number()}}},
      CiClass{"software",
              "an installed or deployable piece of software",
              true,
              {{"version", text()},
               {"vendor", text()},
               {"package", text()},
               {"license", text()},
               {"manager", text()},
               {"architecture", text()}}},
      CiClass{"hardware",
              "a physical component or device; stage in_store means it is a spare (DHS)",
              true,
              {{"kind", text()},
               {"vendor", text()},
               {"model", text()},
               {"serial", text()},
               {"size_bytes", number()},
               {"rotational", number()},
               {"sockets", number()},
               {"cores", number()},
               {"threads", number()},
               {"mac", text()},
               {"interface", text()},
               {"speed_mbps", number()}}},
      CiClass{"service",
              "a business or technical service that people use",
              true,
              {{"url", text()}, {"support_hours", text()}, {"sla", text()}}},
      CiClass{"network",
              "a network segment, VLAN or link",
              true,
              {{"cidr", text()}, {"vlan", number()}, {"gateway", text()}}},
  };
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Error invalid_class(std::string field, std::string message) {
  return Error{"cmdb.invalid_class", std::move(message), std::move(field)};
}

Result<AttributeSpec> spec_from_json(const std::string& attr, const json& j) {
  const std::string where = "attributes." + attr;
  if (!j.is_object()) return fail(invalid_class(where, "an attribute is described by an object"));
  AttributeSpec spec;
  for (const auto& [key, value] : j.items()) {
    if (key != "type" && key != "required" && key != "values") {
      return fail(invalid_class(where + "." + key, "unknown field in an attribute description"));
    }
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return fail(invalid_class(where + ".type", "type must be string, number, bool or enum"));
  }
  const auto& t = type->get_ref<const std::string&>();
  if (t == "string") {
    spec.type = AttributeType::kString;
  } else if (t == "number") {
    spec.type = AttributeType::kNumber;
  } else if (t == "bool") {
    spec.type = AttributeType::kBool;
  } else if (t == "enum") {
    spec.type = AttributeType::kEnum;
  } else {
    return fail(invalid_class(where + ".type", "type must be string, number, bool or enum"));
  }
  if (auto req = j.find("required"); req != j.end()) {
    if (!req->is_boolean()) return fail(invalid_class(where + ".required", "must be a boolean"));
    spec.required = req->get<bool>();
  }
  auto values = j.find("values");
  if (spec.type != AttributeType::kEnum) {
    if (values != j.end()) {
      return fail(invalid_class(where + ".values", "only enum attributes take values"));
    }
    return spec;
  }
  if (values == j.end() || !values->is_array() || values->empty() ||
      values->size() > kMaxEnumValues) {
    return fail(invalid_class(
        where + ".values",
        "an enum needs 1 to " + std::to_string(kMaxEnumValues) + " values (strings)"));
  }
  for (const auto& v : *values) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > protocol::kMaxIdLength) {
      return fail(invalid_class(where + ".values", "enum values are non-empty short strings"));
    }
    const auto& s = v.get_ref<const std::string&>();
    if (std::find(spec.values.begin(), spec.values.end(), s) != spec.values.end()) {
      return fail(invalid_class(where + ".values", "enum value '" + s + "' is listed twice"));
    }
    spec.values.push_back(s);
  }
  return spec;
}

bool is_number(const json& v) { return v.is_number() && !v.is_boolean(); }

}  // namespace

const std::vector<CiClass>& builtin_classes() {
  static const std::vector<CiClass> classes = make_builtins();
  return classes;
}

bool is_builtin_class(std::string_view name) {
  const auto& b = builtin_classes();
  return std::any_of(b.begin(), b.end(), [&](const CiClass& c) { return c.name == name; });
}

bool valid_class_name(std::string_view name) { return valid_name(name); }
bool valid_attribute_name(std::string_view name) { return valid_name(name); }

std::string_view type_name(AttributeType t) {
  switch (t) {
    case AttributeType::kString:
      return "string";
    case AttributeType::kNumber:
      return "number";
    case AttributeType::kBool:
      return "bool";
    case AttributeType::kEnum:
      return "enum";
  }
  return "string";
}

Result<CiClass> class_from_json(const json& doc) {
  if (!doc.is_object()) return fail(invalid_class("class", "a class is a JSON object"));
  for (const auto& [key, value] : doc.items()) {
    if (key != "name" && key != "description" && key != "attributes") {
      return fail(invalid_class(key, "unknown field in a class"));
    }
  }
  CiClass c;
  auto name = doc.find("name");
  if (name == doc.end() || !name->is_string() || !valid_class_name(name->get<std::string>())) {
    return fail(invalid_class("name",
                              "a class name is 1-64 characters: a lower case letter, then lower "
                              "case letters, digits or '_'"));
  }
  c.name = name->get<std::string>();
  if (is_builtin_class(c.name)) {
    return fail("cmdb.class_exists", "'" + c.name + "' is a built-in class", c.name);
  }
  if (auto d = doc.find("description"); d != doc.end()) {
    if (!d->is_string() || d->get_ref<const std::string&>().size() > protocol::kMaxTextLength) {
      return fail(invalid_class("description", "description must be a string of at most " +
                                                   std::to_string(protocol::kMaxTextLength) +
                                                   " bytes"));
    }
    c.description = d->get<std::string>();
  }
  auto attrs = doc.find("attributes");
  if (attrs == doc.end() || !attrs->is_object()) {
    return fail(invalid_class("attributes", "attributes must be an object of descriptions"));
  }
  if (attrs->size() > kMaxAttributes) {
    return fail(invalid_class(
        "attributes", "a class has at most " + std::to_string(kMaxAttributes) + " attributes"));
  }
  for (const auto& [attr, spec_json] : attrs->items()) {
    if (!valid_attribute_name(attr)) {
      return fail(invalid_class("attributes." + attr,
                                "attribute names are 1-64 characters: a lower case letter, then "
                                "lower case letters, digits or '_'"));
    }
    RELMAN_TRY(spec, spec_from_json(attr, spec_json));
    c.attributes.emplace(attr, std::move(spec));
  }
  return c;
}

json to_json(const CiClass& c) {
  json attrs = json::object();
  for (const auto& [name, spec] : c.attributes) {
    json a{{"type", type_name(spec.type)}, {"required", spec.required}};
    if (spec.type == AttributeType::kEnum) a["values"] = spec.values;
    attrs[name] = std::move(a);
  }
  return json{{"name", c.name},
              {"description", c.description},
              {"builtin", c.builtin},
              {"attributes", std::move(attrs)}};
}

Result<void> validate_attributes(const CiClass& c, const json& attributes) {
  if (!attributes.is_object()) {
    return fail("cmdb.invalid_attribute", "attributes must be a JSON object", "attributes");
  }
  if (attributes.size() > kMaxAttributes) {
    return fail("cmdb.invalid_attribute",
                "a CI has at most " + std::to_string(kMaxAttributes) + " attributes", "attributes");
  }
  for (const auto& [name, value] : attributes.items()) {
    auto it = c.attributes.find(name);
    if (it == c.attributes.end()) {
      return fail("cmdb.invalid_attribute",
                  "class '" + c.name + "' has no attribute '" + name + "'", name);
    }
    const AttributeSpec& spec = it->second;
    switch (spec.type) {
      case AttributeType::kString:
        if (!value.is_string()) {
          return fail("cmdb.invalid_attribute", "'" + name + "' must be a string", name);
        }
        if (value.get_ref<const std::string&>().size() > kMaxAttributeValueBytes) {
          return fail(
              "cmdb.invalid_attribute",
              "'" + name + "' is longer than " + std::to_string(kMaxAttributeValueBytes) + " bytes",
              name);
        }
        break;
      case AttributeType::kNumber:
        if (!is_number(value)) {
          return fail("cmdb.invalid_attribute", "'" + name + "' must be a number", name);
        }
        break;
      case AttributeType::kBool:
        if (!value.is_boolean()) {
          return fail("cmdb.invalid_attribute", "'" + name + "' must be true or false", name);
        }
        break;
      case AttributeType::kEnum: {
        bool allowed =
            value.is_string() && std::find(spec.values.begin(), spec.values.end(),
                                           value.get<std::string>()) != spec.values.end();
        if (!allowed) {
          std::string list;
          for (const auto& v : spec.values) list += (list.empty() ? "" : ", ") + v;
          return fail("cmdb.invalid_attribute", "'" + name + "' must be one of: " + list, name);
        }
        break;
      }
    }
  }
  for (const auto& [name, spec] : c.attributes) {
    if (spec.required && !attributes.contains(name)) {
      return fail("cmdb.invalid_attribute",
                  "class '" + c.name + "' requires attribute '" + name + "'", name);
    }
  }
  return ok();
}

json merge_attributes(const json& current, const json& patch) {
  json out = current.is_object() ? current : json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      out.erase(key);
    } else {
      out[key] = value;
    }
  }
  return out;
}

}  // namespace relman::controller::cmdb
