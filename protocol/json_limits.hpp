// Size limits for everything relman reads from the network or a file, in one place.
#pragma once

#include <cstddef>
#include <cstdint>

namespace relman::protocol {

inline constexpr std::size_t kMaxFrameBytes = 1 << 20;         // one WebSocket message
inline constexpr std::size_t kMaxApiBodyBytes = 1 << 20;       // one JSON API request body
inline constexpr std::size_t kMaxIdLength = 128;               // ids, names, versions
inline constexpr std::size_t kMaxTextLength = 64 * 1024;       // free text fields
inline constexpr std::size_t kMaxInventoryBytes = 512 * 1024;  // one inventory report
inline constexpr std::uint64_t kMaxPackageBytes = 4ull << 30;  // one package file
inline constexpr std::size_t kMaxManifestBytes = 4 << 20;      // manifest.json in a package
inline constexpr std::size_t kMaxManifestFiles = 100000;

}  // namespace relman::protocol
