// The definitive media library: packages verified on upload against the controller's trust
// store, stored content-addressed by SHA-256 under <data>/dml, never changed afterwards.
#pragma once

#include <filesystem>
#include <string>

#include "controller/store/store.hpp"
#include "packaging/trust.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

class Dml {
 public:
  Dml(std::filesystem::path root, packaging::TrustStore trust, Store& store);

  // Creates the directories.
  Result<void> open();
  // Verifies the uploaded file (signatures, every hash) and files it. `staged` is consumed:
  // moved into the DML or removed. Errors: the packaging codes (package.*, manifest.*), and
  // dml.version_exists.
  Result<PackageRecord> add(const std::filesystem::path& staged, const std::string& actor);
  std::filesystem::path blob_path(const std::string& sha256) const;

 private:
  std::filesystem::path root_;
  packaging::TrustStore trust_;
  Store& store_;
};

}  // namespace relman::controller
