#include "agent/inventory/inventory_report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include "agent/inventory/cpu.hpp"
#include "agent/inventory/disks.hpp"
#include "agent/inventory/dmi.hpp"
#include "agent/inventory/dpkg.hpp"
#include "agent/inventory/filesystems.hpp"
#include "agent/inventory/memory.hpp"
#include "agent/inventory/network.hpp"
#include "agent/inventory/os.hpp"
#include "agent/inventory/rpm.hpp"
#include "agent/inventory/systemd.hpp"
#include "agent/inventory/text_file.hpp"
#include "protocol/json_limits.hpp"

namespace relman::agent {

protocol::InventoryReport collect_inventory(const std::filesystem::path& root,
                                            const inventory::RelmanPackages& relman) {
  namespace inv = inventory;
  const bool live = root == std::filesystem::path("/");
  protocol::InventoryReport report;

  report.hostname = inv::read_first_line(root / "proc/sys/kernel/hostname");
  if (report.hostname.empty() && live) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) report.hostname = name;
  }
  if (live) {
    struct utsname u {};
    if (::uname(&u) == 0) report.architecture = u.machine;
  } else {
    report.architecture = inv::read_first_line(root / "proc/sys/kernel/arch");
  }

  auto os = inv::collect_os(root);
  auto cpu = inv::collect_cpu(root);
  auto memory = inv::collect_memory(root);
  report.os_id = os.id;
  report.os_version = os.version_id;
  report.os_pretty = os.pretty_name;
  report.kernel = os.kernel;
  report.cpu_model = cpu.model;
  report.cpu_count = cpu.threads;
  report.memory_mb = memory.total_mib;

  report.facts = nlohmann::json{{"os", os.to_json()},
                                {"cpu", cpu.to_json()},
                                {"memory", memory.to_json()},
                                {"dmi", inv::collect_dmi(root).to_json()},
                                {"disks", inv::collect_disks(root).to_json()},
                                {"network", inv::collect_network(root).to_json()},
                                {"filesystems", inv::collect_filesystems(root).to_json()},
                                {"services", inv::collect_systemd(root).to_json()}};
  nlohmann::json software = {{"dpkg", inv::collect_dpkg(root).to_json()},
                             {"relman", relman.to_json()}};
  if (auto rpm = inv::collect_rpm(root); rpm.present) software["rpm"] = rpm.to_json();
  // Keep the whole report within the protocol's bound: the package lists are what can grow.
  const std::size_t base = protocol::encode_message(report).size();
  std::size_t budget = protocol::kMaxInventoryBytes -
                       std::min<std::size_t>(base + 4096, protocol::kMaxInventoryBytes);
  for (const char* list : {"dpkg", "rpm"}) {
    if (software.dump().size() <= budget) break;
    if (!software.contains(list)) continue;
    auto& packages = software[list]["packages"];
    while (!packages.empty() && software.dump().size() > budget) {
      auto keep = static_cast<std::ptrdiff_t>(packages.size() * 7 / 8);
      packages.erase(packages.begin() + keep, packages.end());
    }
    software[list]["truncated"] = true;
  }
  report.facts["software"] = std::move(software);
  // Collectors produce integers and strings only, so the hash cannot fail; an empty hash would
  // be refused by the controller rather than acknowledged.
  report.hash = protocol::inventory_hash(protocol::inventory_document(report)).value_or("");
  return report;
}

}  // namespace relman::agent
