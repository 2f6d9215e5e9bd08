// HTTP header fields as a plain map with lower-cased names (HTTP names are case-insensitive).
// A template so that this header needs no Beast: only the Beast translation units call it.
#pragma once

#include <cctype>
#include <map>
#include <string>

namespace relman::protocol {

template <class Fields>
std::map<std::string, std::string> lower_case_headers(const Fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[name] = std::string(f.value());
  }
  return out;
}

}  // namespace relman::protocol
