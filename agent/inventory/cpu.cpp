#include "agent/inventory/cpu.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

nlohmann::json CpuInfo::to_json() const {
  return {{"model", model},
          {"threads", threads},
          {"cores", cores},
          {"sockets", sockets},
          {"features", features}};
}

CpuInfo collect_cpu(const std::filesystem::path& root) {
  CpuInfo cpu;
  std::set<std::pair<std::int64_t, std::int64_t>> cores;
  std::set<std::int64_t> sockets;
  std::int64_t cores_per_socket = 0;
  std::string flags;
  bool have_flags = false;
  // Each logical CPU's (physical id, core id), recorded when its block ends.
  std::optional<std::int64_t> physical_id, core_id;
  auto end_block = [&] {
    if (physical_id) sockets.insert(*physical_id);
    if (physical_id && core_id) cores.emplace(*physical_id, *core_id);
    physical_id.reset();
    core_id.reset();
  };

  for_each_line(read_bounded(root / "proc/cpuinfo"), [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (key == "processor") {
      end_block();
      ++cpu.threads;
    } else if (key == "model name" && cpu.model.empty()) {
      cpu.model = std::string(value);
    } else if (key == "physical id") {
      physical_id = parse_int(value);
    } else if (key == "core id") {
      core_id = parse_int(value);
    } else if (key == "cpu cores") {
      if (auto n = parse_int(value); n && *n > cores_per_socket) cores_per_socket = *n;
    } else if ((key == "flags" || key == "Features") && !have_flags) {
      flags = std::string(value);
      have_flags = true;
    }
  });
  end_block();

  cpu.sockets = static_cast<std::int64_t>(sockets.size());
  if (!cores.empty()) {
    cpu.cores = static_cast<std::int64_t>(cores.size());
  } else if (cores_per_socket > 0) {
    cpu.cores = cores_per_socket * std::max<std::int64_t>(cpu.sockets, 1);
  }

  std::set<std::string_view> present;
  std::string_view rest = flags;
  while (!rest.empty()) {
    auto sp = rest.find_first_of(" \t");
    auto word = rest.substr(0, sp);
    if (!word.empty()) present.insert(word);
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  for (const char* f : kCpuFeatures) {
    if (present.contains(f)) cpu.features.emplace_back(f);
  }
  return cpu;
}

}  // namespace relman::agent::inventory
