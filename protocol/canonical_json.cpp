#include "protocol/canonical_json.hpp"

namespace relman::protocol {
namespace {

bool has_float(const nlohmann::json& j) {
  if (j.is_number_float()) return true;
  if (j.is_structured()) {
    for (const auto& v : j) {
      if (has_float(v)) return true;
    }
  }
  return false;
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& doc) {
  if (has_float(doc)) {
    return fail("protocol.non_canonical_number",
                "signed documents may hold integers only, not floating-point numbers");
  }
  // nlohmann::json (not ordered_json) keeps object keys sorted by std::less, i.e. by bytes;
  // dump() with no indent writes no insignificant whitespace. Invalid UTF-8 throws: refuse it.
  try {
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    return fail("protocol.invalid_utf8", "document holds a string that is not valid UTF-8");
  }
}

}  // namespace relman::protocol
