#include "controller/query/host_document.hpp"

#include <array>
#include <string_view>

namespace relman::controller::query {
namespace {

constexpr std::array<std::string_view, 9> kBasicFields = {"hostname",  "os_id",     "os_version",
                                                          "os_pretty", "kernel",    "architecture",
                                                          "cpu_model", "cpu_count", "memory_mb"};

}  // namespace

nlohmann::json host_document(const std::string& host_id, const std::vector<std::string>& groups,
                             nlohmann::json inventory, const nlohmann::json& cmdb) {
  nlohmann::json doc = nlohmann::json::object();
  if (inventory.is_object()) {
    if (auto facts = inventory.find("facts"); facts != inventory.end() && facts->is_object()) {
      for (auto it = facts->begin(); it != facts->end(); ++it)
        doc[it.key()] = std::move(it.value());
    }
    for (auto key : kBasicFields) {
      if (auto it = inventory.find(key); it != inventory.end()) {
        doc[std::string(key)] = std::move(*it);
      }
    }
  }
  doc["id"] = host_id;
  doc["groups"] = groups;
  doc["cmdb"] = cmdb.is_object() ? cmdb : nlohmann::json::object();
  return doc;
}

}  // namespace relman::controller::query
