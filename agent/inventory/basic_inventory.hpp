// Basic host facts (OS, kernel, CPU, memory) read from /etc and /proc. Takes a root so tests
// can point it at a fixture tree; a missing or unreadable file leaves its fields empty, never
// throws, and every file read is bounded.
#pragma once

#include <cstddef>
#include <filesystem>

#include "protocol/messages.hpp"

namespace relman::agent {

inline constexpr std::size_t kMaxInventoryFileBytes = 1 << 20;

// Reads <root>/etc/os-release, <root>/proc/sys/kernel/{hostname,osrelease,arch},
// <root>/proc/cpuinfo and <root>/proc/meminfo. When root is "/", the hostname falls back to
// gethostname() and the architecture comes from uname().
protocol::InventoryReport collect_basic_inventory(const std::filesystem::path& root = "/");

}  // namespace relman::agent
