// Building API responses: JSON bodies, errors as {"error": {"code", "message", "context"}}
// with the HTTP status their code maps to, pages of items, and path id parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "controller/api/api_call.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

ApiResponse json_response(int status, const nlohmann::json& body);
ApiResponse error_response(int status, const std::string& code, const std::string& message);
// The status follows from the code: the caller's fault is 4xx (not_found 404, conflicts 409,
// forbidden 403, bad input 400), ours is 5xx (logged).
int status_for(const Error& e);
ApiResponse from_error(const Error& e);
ApiResponse method_not_allowed(const std::string& allowed);
nlohmann::json page_json(const nlohmann::json& items, const Page& page);

// A positive decimal id from a path segment.
std::optional<std::int64_t> parse_id(const std::string& s);

}  // namespace relman::controller
