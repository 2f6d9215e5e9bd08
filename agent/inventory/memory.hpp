// Memory sizes from <root>/proc/meminfo.
#pragma once

#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct MemoryInfo {
  std::int64_t total_mib = 0;       // MemTotal
  std::int64_t available_mib = 0;   // MemAvailable (kernels since 3.14)
  std::int64_t swap_total_mib = 0;  // SwapTotal

  nlohmann::json to_json() const;
};

// Never throws; missing file or fields give 0, a malformed line is skipped.
MemoryInfo collect_memory(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
