// Network interfaces from <root>/sys/class/net (all but the loopback).
//
// IP addresses are not in sysfs; reading them needs netlink (getifaddrs), which this
// file-based collector does not do, so `addresses` is always empty for now.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace relman::agent::inventory {

struct NetworkInterface {
  std::string name;                    // e.g. "eth0"
  std::string mac;                     // "address", e.g. "52:54:00:12:34:56"
  std::int64_t speed_mbps = -1;        // "speed"; -1 when unknown (link down, virtual NIC)
  std::string operstate;               // "up", "down", "unknown", ...
  std::vector<std::string> addresses;  // always empty: needs netlink (see above)

  nlohmann::json to_json() const;
};

struct NetworkInfo {
  std::vector<NetworkInterface> interfaces;  // sorted by name

  nlohmann::json to_json() const;
};

// Never throws; an unreadable attribute leaves its field empty (speed -1).
NetworkInfo collect_network(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
