// Reading server-sent events in integration tests: curl holds the stream open and writes the
// body to a file; parse_sse() reads the frames from it.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace relman::test {

struct SseEvent {
  std::int64_t id = 0;
  std::string type;
  nlohmann::json data;
};

// Parses the frames in a captured text/event-stream body.
inline std::vector<SseEvent> parse_sse(const std::string& text) {
  std::vector<SseEvent> out;
  std::istringstream in(text);
  std::string line;
  SseEvent cur;
  bool any = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (any) out.push_back(cur);
      cur = {};
      any = false;
    } else if (line.starts_with("id: ")) {
      cur.id = std::stoll(line.substr(4));
      any = true;
    } else if (line.starts_with("event: ")) {
      cur.type = line.substr(7);
      any = true;
    } else if (line.starts_with("data: ")) {
      cur.data = nlohmann::json::parse(line.substr(6), nullptr, false);
      any = true;
    }
  }
  return out;
}

// curl's full path (the test helpers exec without a PATH search).
inline std::string curl() {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    auto colon = path.find(':', start);
    auto dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "curl";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  ADD_FAILURE() << "curl is not installed (scripts/bootstrap installs it)";
  return "curl";
}

// The file as it is now; "" while it does not exist yet.
inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace relman::test
