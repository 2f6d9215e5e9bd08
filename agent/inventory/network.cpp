#include "agent/inventory/network.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <system_error>

#include "agent/inventory/text_file.hpp"

namespace relman::agent::inventory {

nlohmann::json NetworkInterface::to_json() const {
  return {{"name", name},
          {"mac", mac},
          {"speed_mbps", speed_mbps},
          {"operstate", operstate},
          {"addresses", addresses}};
}

nlohmann::json NetworkInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& nic : interfaces) list.push_back(nic.to_json());
  return {{"interfaces", list}};
}

NetworkInfo collect_network(const std::filesystem::path& root) {
  NetworkInfo out;
  const auto net = root / "sys/class/net";
  for (const auto& name : list_dir(net)) {
    const auto dir = net / name;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;  // e.g. bonding_masters
    NetworkInterface nic;
    nic.name = name;
    nic.mac = read_first_line(dir / "address");
    // The kernel reports an unknown speed as -1 (or as a read error, which reads as "").
    if (auto speed = parse_int(read_first_line(dir / "speed")); speed && *speed > 0) {
      nic.speed_mbps = *speed;
    }
    nic.operstate = read_first_line(dir / "operstate");
    out.interfaces.push_back(std::move(nic));
  }
  if (root == std::filesystem::path("/")) attach_addresses(out, read_interface_addresses());
  return out;
}

std::vector<InterfaceAddress> read_interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !a->ifa_name) continue;
    char text[INET6_ADDRSTRLEN] = {};
    int prefix = 0;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if (!::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) continue;
      if (a->ifa_netmask) {
        const auto* mask = reinterpret_cast<const sockaddr_in*>(a->ifa_netmask);
        prefix = std::popcount(mask->sin_addr.s_addr);
      }
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (!::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text)) continue;
      if (a->ifa_netmask) {
        const auto* mask = reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask);
        for (unsigned char byte : mask->sin6_addr.s6_addr) prefix += std::popcount(byte);
      }
    } else {
      continue;  // AF_PACKET: the MAC, which sysfs gives already
    }
    out.push_back({a->ifa_name, std::string(text) + "/" + std::to_string(prefix)});
  }
  ::freeifaddrs(list);
  return out;
}

void attach_addresses(NetworkInfo& info, const std::vector<InterfaceAddress>& addresses) {
  for (const auto& a : addresses) {
    auto it = std::find_if(info.interfaces.begin(), info.interfaces.end(),
                           [&](const NetworkInterface& n) { return n.name == a.interface; });
    if (it == info.interfaces.end()) {
      NetworkInterface nic;
      nic.name = a.interface;
      info.interfaces.push_back(std::move(nic));
      it = std::prev(info.interfaces.end());
    }
    if (std::find(it->addresses.begin(), it->addresses.end(), a.address) == it->addresses.end()) {
      it->addresses.push_back(a.address);
    }
  }
  for (auto& nic : info.interfaces) std::sort(nic.addresses.begin(), nic.addresses.end());
  std::sort(info.interfaces.begin(), info.interfaces.end(),
            [](const NetworkInterface& a, const NetworkInterface& b) { return a.name < b.name; });
}

}  // namespace relman::agent::inventory
