#include "agent/inventory/network.hpp"

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
    if (name == "lo") continue;
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
  return out;
}

}  // namespace relman::agent::inventory
