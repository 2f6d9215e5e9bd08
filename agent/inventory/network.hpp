// Network interfaces from <root>/sys/class/net, with their IP addresses. Addresses are not in
// sysfs: on the live system (root "/") they come from getifaddrs(); a fixture tree has none.
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
  std::vector<std::string> addresses;  // "192.0.2.10/24", "fe80::1/64"; sorted

  nlohmann::json to_json() const;
};

struct NetworkInfo {
  std::vector<NetworkInterface> interfaces;  // sorted by name

  nlohmann::json to_json() const;
};

struct InterfaceAddress {
  std::string interface;
  std::string address;  // with its prefix length, e.g. "127.0.0.1/8"
};

// This host's IPv4 and IPv6 addresses (getifaddrs); empty when it fails.
std::vector<InterfaceAddress> read_interface_addresses();

// Adds each address to its interface (an interface sysfs did not list is added by name).
void attach_addresses(NetworkInfo& info, const std::vector<InterfaceAddress>& addresses);

// Never throws; an unreadable attribute leaves its field empty (speed -1).
NetworkInfo collect_network(const std::filesystem::path& root = "/");

}  // namespace relman::agent::inventory
