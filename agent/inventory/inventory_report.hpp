// The agent's inventory report: the basic facts the protocol names (hostname, OS, kernel,
// CPU, memory) plus every collector's output under `facts` (cpu, memory, os, dmi, disks,
// network, filesystems, services (systemd), software.dpkg, software.rpm when an rpm database
// exists, software.relman). Takes a root so tests can point it at a fixture tree;
// a missing or unreadable file leaves its fields empty, never throws; every read is bounded.
#pragma once

#include <filesystem>

#include "agent/inventory/relman_packages.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {

// When root is "/", the hostname falls back to gethostname() and the architecture comes from
// uname(); under a fixture root they come from <root>/proc/sys/kernel/{hostname,arch}.
// The report stays under protocol::kMaxInventoryBytes: if the software list would pass it,
// the list is cut and facts.software.truncated is true.
// `relman` is what this agent installed (collect_relman_packages), reported as given.
protocol::InventoryReport collect_inventory(const std::filesystem::path& root = "/",
                                            const inventory::RelmanPackages& relman = {});

}  // namespace relman::agent
