#pragma once

#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::protocol {

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; refuses anything else (protocol.invalid_base64).
Result<std::string> base64_decode(std::string_view text);

}  // namespace relman::protocol
