// The package file: one tar (written by libarchive, pax format) holding, in this order,
//   manifest.json      the manifest (pretty-printed; its canonical form is what is signed)
//   signatures.json    [{"key_id": hex, "signature": base64}, ...] over the canonical manifest
//   payload/<path>     every file and link the manifest lists, nothing else
// Nothing in a package is trusted until verify_package / install_payload says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "packaging/extract.hpp"
#include "packaging/manifest.hpp"
#include "packaging/signing.hpp"
#include "packaging/trust.hpp"
#include "protocol/error.hpp"

namespace relman::packaging {

struct PackageSignature {
  std::string key_id;
  std::string signature;  // base64
};

struct PackageInfo {
  Manifest manifest;
  std::string manifest_sha256;
  std::vector<PackageSignature> signatures;
  std::string package_sha256;  // of the whole file
  std::uint64_t package_size = 0;
};

struct BuildSpec {
  Manifest manifest;  // files/links are filled in from payload_dir; name/version/... from here
  std::filesystem::path payload_dir;
};

// Walks payload_dir (regular files and symlinks only; anything else is package.unsupported_file),
// hashes every file, writes an unsigned package to `out` atomically.
Result<PackageInfo> build_package(const BuildSpec& spec, const std::filesystem::path& out);

// Adds a signature by `key` (replacing an earlier one by the same key) and rewrites the file
// atomically.
Result<PackageInfo> sign_package(const std::filesystem::path& package, const PrivateKey& key);

// Reads manifest and signatures and hashes the file; checks structure, not trust.
// Errors: package.read_failed, package.malformed (context = what), manifest.*.
Result<PackageInfo> inspect_package(const std::filesystem::path& package);

// Full check: structure, signatures from >= threshold distinct trusted publishers
// (package.signature_untrusted when too few; package.signature_invalid when a trusted key's
// signature does not verify), every payload entry listed and hashed as the manifest says
// (package.payload_hash_mismatch, package.payload_size_mismatch, package.unexpected_entry,
// package.missing_file; context = the path).
Result<PackageInfo> verify_package(const std::filesystem::path& package, const TrustStore& trust);

// The caller's own checks of a verified manifest (name, platform, payload kind, ...), run
// before any byte is written; an error stops the install with that error.
using ManifestCheck = std::function<Result<void>(const Manifest&)>;

// verify_package's checks, in one pass, while extracting the payload into `dest` (which must
// not exist). Signatures, the manifest hash when `expected_manifest_sha256` is given
// (package.manifest_mismatch) and `accept` are checked before any byte is written. On failure
// `dest` is removed.
Result<PackageInfo> install_payload(const std::filesystem::path& package, const TrustStore& trust,
                                    const std::filesystem::path& dest,
                                    const ExtractLimits& limits = {},
                                    std::string_view expected_manifest_sha256 = {},
                                    const ManifestCheck& accept = {});

}  // namespace relman::packaging
