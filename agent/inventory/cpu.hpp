// CPU facts from <root>/proc/cpuinfo (x86 layout; other architectures fill what they have).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

// The features a release manager plans by (SIMD levels, crypto, virtualisation), in this
// order; not the whole flags line.
inline constexpr const char* kCpuFeatures[] = {"sse4_2", "avx", "avx2", "avx512f",   "aes",
                                               "sha_ni", "vmx", "svm",  "hypervisor"};

// cores and sockets are 0 when cpuinfo does not say (e.g. on some arm64 kernels).
struct CpuInfo {
  std::string model;                  // first "model name"; "" when absent
  std::int64_t threads = 0;           // "processor" entries (logical CPUs)
  std::int64_t cores = 0;             // unique (physical id, core id), else "cpu cores" x sockets
  std::int64_t sockets = 0;           // unique "physical id"
  std::vector<std::string> features;  // the kCpuFeatures the first CPU's flags contain

  nlohmann::json to_json() const;
};

// Never throws; a missing file gives zero values, a malformed line is skipped.
CpuInfo collect_cpu(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
