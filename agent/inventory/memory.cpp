#include "agent/inventory/memory.hpp"

#include <string_view>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

nlohmann::json MemoryInfo::to_json() const {
  return {{"total_mib", total_mib},
          {"available_mib", available_mib},
          {"swap_total_mib", swap_total_mib}};
}

MemoryInfo collect_memory(const std::filesystem::path& root) {
  MemoryInfo mem;
  for_each_line(read_bounded(root / "proc/meminfo"), [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = line.substr(0, colon);
    auto value = trim(line.substr(colon + 1));
    // Values are "<n> kB".
    if (value.ends_with("kB")) value = trim(value.substr(0, value.size() - 2));
    auto kib = parse_int(value);
    if (!kib || *kib < 0) return;
    if (key == "MemTotal") mem.total_mib = *kib / 1024;
    if (key == "MemAvailable") mem.available_mib = *kib / 1024;
    if (key == "SwapTotal") mem.swap_total_mib = *kib / 1024;
  });
  return mem;
}

}  // namespace relman::agent::inventory
