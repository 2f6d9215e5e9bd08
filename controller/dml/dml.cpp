#include "controller/dml/dml.hpp"

#include <system_error>

#include "packaging/package.hpp"

namespace relman::controller {

Dml::Dml(std::filesystem::path root, packaging::TrustStore trust, Store& store)
    : root_(std::move(root)), trust_(std::move(trust)), store_(store) {}

Result<void> Dml::open() {
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return fail("dml.io", "cannot create the DML directory: " + ec.message(), root_);
  return ok();
}

std::filesystem::path Dml::blob_path(const std::string& sha256) const {
  return root_ / sha256.substr(0, 2) / (sha256 + ".rpkg");
}

Result<PackageRecord> Dml::add(const std::filesystem::path& staged, const std::string& actor) {
  std::error_code ec;
  auto info = packaging::verify_package(staged, trust_);
  if (!info) {
    std::filesystem::remove(staged, ec);
    return fail(info.error());
  }
  auto dest = blob_path(info->package_sha256);
  std::filesystem::create_directories(dest.parent_path(), ec);
  if (!ec) {
    if (std::filesystem::exists(dest)) {
      std::filesystem::remove(staged, ec);  // content-addressed: the same bytes are there
    } else {
      std::filesystem::rename(staged, dest, ec);
    }
  }
  if (ec) {
    std::filesystem::remove(staged, ec);
    return fail("dml.io", "cannot store the package: " + ec.message(), dest.string());
  }
  PackageRecord p;
  p.name = info->manifest.name;
  p.version = info->manifest.version;
  p.platform = info->manifest.platform;
  p.payload_kind = info->manifest.payload_kind;
  p.description = info->manifest.description;
  p.sha256 = info->package_sha256;
  p.manifest_sha256 = info->manifest_sha256;
  p.size = static_cast<std::int64_t>(info->package_size);
  p.file_count = static_cast<std::int64_t>(info->manifest.files.size());
  for (const auto& s : info->signatures) {
    if (trust_.find_publisher(s.key_id)) p.signer_key_ids.push_back(s.key_id);
  }
  p.status = "uploaded";
  // A version clash leaves the blob behind only if it was new; it is unreferenced and harmless.
  return store_.insert_package(p, actor);
}

}  // namespace relman::controller
