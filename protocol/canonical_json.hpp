// The canonical form of a signed JSON document: keys sorted, no insignificant whitespace,
// UTF-8, integers only (floats are refused because their text form is not canonical).
// Signer and verifier both call this one function.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"

namespace relman::protocol {

// Refuses floating-point numbers anywhere in the document (protocol.non_canonical_number).
Result<std::string> canonical_json(const nlohmann::json& doc);

}  // namespace relman::protocol
