// Reading the controller's JSON for the terminal without trusting it: every field is read with
// its type checked, a missing or empty one prints "-", and control characters never reach the
// terminal. Plus the two layouts the online commands print: tables and "key: value" lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::cli {

// Control characters from the server are not written to the terminal: each becomes '?'.
std::string printable(std::string s);

// obj[key], or nullptr when obj is not an object or has no such key.
const nlohmann::json* field(const nlohmann::json& obj, const char* key);

// obj[key] as text: strings made printable, booleans "yes"/"no", numbers as written; "-" when
// missing, null or an empty string.
std::string text(const nlohmann::json& obj, const char* key);

// obj[key] when it is an integer.
std::optional<std::int64_t> integer(const nlohmann::json& obj, const char* key);

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string iso_time(std::int64_t t);

// obj[key] (Unix seconds) as iso_time; "-" when missing or not positive.
std::string time_text(const nlohmann::json& obj, const char* key);

// obj[key] (bytes) as "12 B", "1.5 MiB"…; "-" when missing or negative.
std::string size_text(const nlohmann::json& obj, const char* key);

// obj[key] when it is an array, else an empty array.
const nlohmann::json& array_of(const nlohmann::json& obj, const char* key);

// Columns padded to their widest cell, two spaces apart; the last column is not padded.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");

// "key: value" lines with the values aligned.
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// The JSON as the API sent it, indented.
void print_json(const nlohmann::json& j);

}  // namespace relman::cli
