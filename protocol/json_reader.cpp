#include "protocol/json_reader.hpp"

namespace relman::protocol {

JsonReader::JsonReader(const nlohmann::json& object, std::string where)
    : obj_(object), where_(std::move(where)) {
  if (!obj_.is_object()) {
    error_ = Error{"protocol.not_an_object", "expected a JSON object",
                   where_.empty() ? std::string("document") : where_};
  }
}

std::string JsonReader::field_name(std::string_view key) const {
  return where_.empty() ? std::string(key) : where_ + "." + std::string(key);
}

void JsonReader::set_error(std::string code, std::string message, std::string_view key) {
  if (!error_) error_ = Error{std::move(code), std::move(message), field_name(key)};
}

void JsonReader::reject(std::string_view key, std::string code, std::string message) {
  set_error(std::move(code), std::move(message), key);
}

const nlohmann::json* JsonReader::find(std::string_view key, bool required) {
  seen_.insert(std::string(key));
  if (!obj_.is_object()) return nullptr;
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (required) set_error("protocol.missing_field", "required field is missing", key);
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonReader::optional_string(std::string_view key, std::size_t max_len) {
  const auto* v = find(key, false);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    set_error("protocol.wrong_type", "field must be a string", key);
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    set_error("protocol.too_long", "field is longer than " + std::to_string(max_len) + " bytes",
              key);
    return std::nullopt;
  }
  return s;
}

std::string JsonReader::string(std::string_view key, std::size_t max_len, bool allow_empty) {
  const auto* v = find(key, true);
  if (!v) return {};
  seen_.erase(std::string(key));  // optional_string re-inserts it
  auto s = optional_string(key, max_len);
  if (!s) return {};
  if (s->empty() && !allow_empty) {
    set_error("protocol.empty_field", "field must not be empty", key);
    return {};
  }
  return *s;
}

std::optional<std::int64_t> JsonReader::optional_integer(std::string_view key, std::int64_t min,
                                                         std::int64_t max) {
  const auto* v = find(key, false);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    set_error("protocol.wrong_type", "field must be an integer", key);
    return std::nullopt;
  }
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) {
      set_error("protocol.out_of_range", "field is out of range", key);
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(u);
  } else {
    n = v->get<std::int64_t>();
  }
  if (n < min || n > max) {
    set_error("protocol.out_of_range",
              "field must be between " + std::to_string(min) + " and " + std::to_string(max), key);
    return std::nullopt;
  }
  return n;
}

std::int64_t JsonReader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  if (!find(key, true)) return 0;
  return optional_integer(key, min, max).value_or(0);
}

std::optional<bool> JsonReader::optional_boolean(std::string_view key) {
  const auto* v = find(key, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    set_error("protocol.wrong_type", "field must be true or false", key);
    return std::nullopt;
  }
  return v->get<bool>();
}

bool JsonReader::boolean(std::string_view key) {
  if (!find(key, true)) return false;
  return optional_boolean(key).value_or(false);
}

const nlohmann::json* JsonReader::optional_array(std::string_view key, std::size_t max_items) {
  const auto* v = find(key, false);
  if (!v) return nullptr;
  if (!v->is_array()) {
    set_error("protocol.wrong_type", "field must be an array", key);
    return nullptr;
  }
  if (v->size() > max_items) {
    set_error("protocol.too_many_items",
              "field holds more than " + std::to_string(max_items) + " items", key);
    return nullptr;
  }
  return v;
}

const nlohmann::json* JsonReader::array(std::string_view key, std::size_t max_items) {
  if (!find(key, true)) return nullptr;
  return optional_array(key, max_items);
}

const nlohmann::json* JsonReader::optional_object(std::string_view key) {
  const auto* v = find(key, false);
  if (!v) return nullptr;
  if (!v->is_object()) {
    set_error("protocol.wrong_type", "field must be an object", key);
    return nullptr;
  }
  return v;
}

const nlohmann::json* JsonReader::object(std::string_view key) {
  if (!find(key, true)) return nullptr;
  return optional_object(key);
}

Result<void> JsonReader::finish_strict() {
  if (!error_ && obj_.is_object()) {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!seen_.contains(it.key())) {
        set_error("protocol.unknown_field", "field is not allowed here", it.key());
        break;
      }
    }
  }
  return finish_tolerant();
}

Result<void> JsonReader::finish_tolerant() {
  if (error_) return fail(*error_);
  return ::relman::ok();
}

Result<nlohmann::json> parse_json_object(std::string_view text, std::size_t max_bytes,
                                         std::string_view what) {
  if (text.size() > max_bytes) {
    return fail("protocol.too_large",
                std::string(what) + " is larger than " + std::to_string(max_bytes) + " bytes",
                std::string(what));
  }
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return fail("protocol.malformed_json", std::string(what) + " is not valid JSON",
                std::string(what));
  }
  if (!doc.is_object()) {
    return fail("protocol.not_an_object", std::string(what) + " must be a JSON object",
                std::string(what));
  }
  return doc;
}

}  // namespace relman::protocol
