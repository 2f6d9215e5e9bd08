#include "controller/inventory/software_policy.hpp"

#include <algorithm>

#include "packaging/deb_version.hpp"
#include "packaging/version.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller::inventory {

const std::vector<std::string>& policy_managers() {
  static const std::vector<std::string> managers{"dpkg", "rpm", "relman"};
  return managers;
}

Result<void> check_min_version(std::string_view manager, std::string_view version) {
  std::optional<Error> refused;
  if (manager == "relman") {
    if (auto v = packaging::parse_version(version); !v) refused = v.error();
  } else if (auto v = packaging::check_deb_version(version); !v) {
    refused = v.error();
  }
  if (!refused) return {};
  return fail("software_policy.invalid_min_version",
              "min_version is not a " + std::string(manager) + " version: " + refused->message,
              std::string(version));
}

Result<SoftwarePolicyDraft> policy_draft_from_json(const nlohmann::json& doc) {
  protocol::JsonReader r(doc);
  SoftwarePolicyDraft d;
  d.group = r.string("group", kMaxPolicyGroupLength);
  d.package = r.string("package", kMaxPolicyPackageLength);
  auto manager = r.optional_string("manager", 16);
  d.min_version = r.optional_string("min_version", packaging::kMaxDebVersionLength);
  d.note = r.optional_string("note", kMaxPolicyNoteLength).value_or("");
  RELMAN_CHECK(r.finish_strict());
  if (manager) d.manager = *manager;
  const auto& known = policy_managers();
  if (std::find(known.begin(), known.end(), d.manager) == known.end()) {
    return fail("software_policy.invalid_manager", "manager must be dpkg, rpm or relman",
                d.manager);
  }
  if (d.min_version) RELMAN_CHECK(check_min_version(d.manager, *d.min_version));
  return d;
}

int compare_package_versions(std::string_view manager, std::string_view a, std::string_view b) {
  if (manager == "relman") {
    auto va = packaging::parse_version(a), vb = packaging::parse_version(b);
    if (va && vb) return packaging::compare_versions(*va, *vb);
  }
  return packaging::compare_deb_versions(a, b);
}

nlohmann::json to_json(const SoftwarePolicy& p) {
  return nlohmann::json{
      {"id", p.id},
      {"group", p.rule.group},
      {"manager", p.rule.manager},
      {"package", p.rule.package},
      {"min_version", p.rule.min_version ? nlohmann::json(*p.rule.min_version) : nlohmann::json()},
      {"note", p.rule.note},
      {"created_by", p.created_by},
      {"created_at", p.created_at}};
}

}  // namespace relman::controller::inventory
