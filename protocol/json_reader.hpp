// Strict reading of one JSON object: each accessor checks presence, type and range and names
// the field in the error. finish() refuses fields nobody asked for (for signed documents);
// tolerant readers skip that call. Errors are recorded once; the first one wins.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "protocol/json_limits.hpp"

namespace relman::protocol {

class JsonReader {
 public:
  // `where` prefixes field names in errors, e.g. "order" gives "order.host_id".
  JsonReader(const nlohmann::json& object, std::string where = {});

  std::string string(std::string_view key, std::size_t max_len = kMaxIdLength,
                     bool allow_empty = false);
  std::optional<std::string> optional_string(std::string_view key,
                                             std::size_t max_len = kMaxIdLength);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min,
                                               std::int64_t max);
  bool boolean(std::string_view key);
  std::optional<bool> optional_boolean(std::string_view key);
  // Returns the array (or nullptr after recording an error); elements are the caller's.
  const nlohmann::json* array(std::string_view key, std::size_t max_items);
  const nlohmann::json* optional_array(std::string_view key, std::size_t max_items);
  const nlohmann::json* object(std::string_view key);
  const nlohmann::json* optional_object(std::string_view key);

  // Marks a field as known without reading it.
  void allow(std::string_view key) { seen_.insert(std::string(key)); }

  // Records a caller-side validation error against a field.
  void reject(std::string_view key, std::string code, std::string message);

  bool ok() const { return !error_; }
  const std::optional<Error>& error() const { return error_; }
  std::string field_name(std::string_view key) const;

  // Refuses unknown fields (protocol.unknown_field), then returns the first error if any.
  Result<void> finish_strict();
  // Returns the first error if any; unknown fields are ignored.
  Result<void> finish_tolerant();

 private:
  const nlohmann::json* find(std::string_view key, bool required);
  void set_error(std::string code, std::string message, std::string_view key);

  const nlohmann::json& obj_;
  std::string where_;
  std::set<std::string, std::less<>> seen_;
  std::optional<Error> error_;
};

// Parses text as JSON with a size limit; refuses anything but an object at the top.
Result<nlohmann::json> parse_json_object(std::string_view text, std::size_t max_bytes,
                                         std::string_view what);

}  // namespace relman::protocol
