#include "packaging/package.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "packaging/sha256.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tar_fixture.hpp"

namespace relman::packaging {
namespace {

namespace fs = std::filesystem;
using relman::test::read_file;
using relman::test::read_tar;
using relman::test::tar_dir;
using relman::test::tar_file;
using relman::test::tar_hardlink;
using relman::test::tar_special;
using relman::test::tar_symlink;
using relman::test::TarEntry;
using relman::test::TempDir;
using relman::test::write_file;
using relman::test::write_tar;

unsigned file_mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class Package : public ::testing::Test {
 protected:
  void SetUp() override {
    auto payload = dir_ / "payload";
    write_file(payload / "bin/tool", "#!/bin/sh\necho hello\n");
    fs::permissions(payload / "bin/tool", fs::perms(0755));
    write_file(payload / "etc/tool.conf", "greeting=hello\n");
    fs::permissions(payload / "etc/tool.conf", fs::perms(0644));
    write_file(payload / "share/doc/README", "read me\n");
    fs::permissions(payload / "share/doc/README", fs::perms(0600));
    fs::create_directory_symlink("bin", payload / "current");  // link to a directory
    fs::create_symlink("../../etc/tool.conf", payload / "share/doc/conf");

    spec_.manifest.name = "tool";
    spec_.manifest.version = "1.2.3";
    spec_.manifest.platform = "any";
    spec_.manifest.description = "a tool";
    spec_.payload_dir = payload;
    key1_ = generate_signing_key();
    key2_ = generate_signing_key();
  }

  fs::path build() {
    auto out = dir_ / "tool-1.2.3.relpkg";
    auto r = build_package(spec_, out);
    EXPECT_TRUE(r.has_value()) << r.error().describe();
    return out;
  }

  fs::path build_signed(const PrivateKey& key) {
    auto out = build();
    auto r = sign_package(out, key);
    EXPECT_TRUE(r.has_value()) << r.error().describe();
    return out;
  }

  TrustStore trust(std::vector<const PrivateKey*> keys, int threshold = 1) {
    TrustStore t;
    t.threshold = threshold;
    int i = 0;
    for (const auto* k : keys) t.publishers.push_back({"p" + std::to_string(i++), k->public_key()});
    return t;
  }

  // Rewrites a package through `change` (same manifest and signatures unless changed).
  template <class F>
  fs::path rewrite(const fs::path& package, F change) {
    auto entries = read_tar(package);
    change(entries);
    auto out = dir_ / "tampered.relpkg";
    fs::remove(out);
    write_tar(out, entries);
    return out;
  }

  static TarEntry* find(std::vector<TarEntry>& entries, const std::string& name) {
    for (auto& e : entries) {
      if (e.name == name) return &e;
    }
    ADD_FAILURE() << "no entry " << name;
    return nullptr;
  }

  void expect_verify_refused(const fs::path& package, const TrustStore& t,
                             const std::string& code) {
    auto r = verify_package(package, t);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << r.error().describe();
    auto dest = dir_ / "installed";
    auto i = install_payload(package, t, dest);
    ASSERT_FALSE(i.has_value());
    EXPECT_EQ(i.error().code, code) << i.error().describe();
    EXPECT_FALSE(fs::exists(fs::symlink_status(dest)));
  }

  TempDir dir_;
  BuildSpec spec_;
  PrivateKey key1_, key2_;
};

TEST_F(Package, BuildListsEveryFileAndLink) {
  auto out = dir_ / "p.relpkg";
  auto info = build_package(spec_, out);
  ASSERT_TRUE(info.has_value()) << info.error().describe();
  const auto& m = info->manifest;
  ASSERT_EQ(m.files.size(), 3u);
  EXPECT_EQ(m.files[0].path, "bin/tool");
  EXPECT_EQ(m.files[0].mode, 0755u);
  EXPECT_EQ(m.files[0].sha256, sha256_hex("#!/bin/sh\necho hello\n"));
  EXPECT_EQ(m.files[2].path, "share/doc/README");
  EXPECT_EQ(m.files[2].mode, 0600u);
  ASSERT_EQ(m.links.size(), 2u);
  EXPECT_EQ(m.links[0].path, "current");
  EXPECT_EQ(m.links[0].target, "bin");
  EXPECT_TRUE(info->signatures.empty());
  EXPECT_EQ(info->package_sha256, sha256_file(out).value());
  EXPECT_EQ(info->package_size, fs::file_size(out));
  EXPECT_EQ(info->manifest_sha256, manifest_sha256(m));
  auto entries = read_tar(out);
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "manifest.json");
  EXPECT_EQ(entries[1].name, "signatures.json");
}

TEST_F(Package, BuildIsReproducible) {
  auto a = build_package(spec_, dir_ / "a.relpkg");
  auto b = build_package(spec_, dir_ / "b.relpkg");
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->package_sha256, b->package_sha256);
}

TEST_F(Package, BuildRefusesSpecialFilesInThePayload) {
  ASSERT_EQ(::mkfifo((spec_.payload_dir / "fifo").c_str(), 0644), 0);
  auto r = build_package(spec_, dir_ / "p.relpkg");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "package.unsupported_file");
  EXPECT_FALSE(fs::exists(dir_ / "p.relpkg"));
}

TEST_F(Package, BuildRefusesALinkLeavingThePayload) {
  fs::create_symlink("../../outside", spec_.payload_dir / "escape");
  auto r = build_package(spec_, dir_ / "p.relpkg");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "manifest.invalid");
}

TEST_F(Package, BuildRefusesAnInvalidName) {
  spec_.manifest.name = "Tool";
  auto r = build_package(spec_, dir_ / "p.relpkg");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "manifest.invalid");
}

TEST_F(Package, BuildSignVerifySucceeds) {
  auto pkg = build_signed(key1_);
  auto r = verify_package(pkg, trust({&key1_}));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->manifest.name, "tool");
  EXPECT_EQ(r->signatures.size(), 1u);
  EXPECT_EQ(r->package_sha256, sha256_file(pkg).value());
}

TEST_F(Package, InspectShowsSignatures) {
  auto pkg = build_signed(key1_);
  ASSERT_TRUE(sign_package(pkg, key2_).has_value());
  auto info = inspect_package(pkg);
  ASSERT_TRUE(info.has_value()) << info.error().describe();
  std::set<std::string> ids;
  for (const auto& s : info->signatures) ids.insert(s.key_id);
  EXPECT_EQ(ids, (std::set<std::string>{key1_.public_key().key_id(), key2_.public_key().key_id()}));
  EXPECT_EQ(info->package_sha256, sha256_file(pkg).value());
}

TEST_F(Package, SigningTwiceWithOneKeyKeepsOneSignature) {
  auto pkg = build_signed(key1_);
  auto again = sign_package(pkg, key1_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->signatures.size(), 1u);
  EXPECT_TRUE(verify_package(pkg, trust({&key1_})).has_value());
}

TEST_F(Package, TwoSignaturesMeetThresholdTwo) {
  auto pkg = build_signed(key1_);
  ASSERT_TRUE(sign_package(pkg, key2_).has_value());
  auto r = verify_package(pkg, trust({&key1_, &key2_}, 2));
  EXPECT_TRUE(r.has_value()) << r.error().describe();
}

TEST_F(Package, RefusesUnsignedPackage) {
  expect_verify_refused(build(), trust({&key1_}), "package.signature_untrusted");
}

TEST_F(Package, RefusesPackageSignedOnlyByUnknownKey) {
  expect_verify_refused(build_signed(key2_), trust({&key1_}), "package.signature_untrusted");
}

TEST_F(Package, RefusesOneSignatureWhenThresholdIsTwo) {
  expect_verify_refused(build_signed(key1_), trust({&key1_, &key2_}, 2),
                        "package.signature_untrusted");
}

TEST_F(Package, RefusesCorruptedSignatureByTrustedKey) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [&](std::vector<TarEntry>& entries) {
    auto* sigs = find(entries, "signatures.json");
    auto j = nlohmann::json::parse(sigs->data);
    j[0]["signature"] = sign(key1_, "some other document");
    sigs->data = j.dump();
  });
  expect_verify_refused(bad, trust({&key1_}), "package.signature_invalid");
}

TEST_F(Package, RefusesPayloadChangedAfterSigning) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    auto* conf = find(entries, "payload/etc/tool.conf");
    conf->data = "greeting=pwned\n";  // same length
  });
  expect_verify_refused(bad, trust({&key1_}), "package.payload_hash_mismatch");
}

TEST_F(Package, RefusesPayloadWithADifferentSize) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    find(entries, "payload/etc/tool.conf")->data += "evil=1\n";
  });
  expect_verify_refused(bad, trust({&key1_}), "package.payload_size_mismatch");
}

TEST_F(Package, RefusesAnExtraPayloadEntry) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    entries.push_back(tar_file("payload/bin/backdoor", "evil", 0755));
  });
  expect_verify_refused(bad, trust({&key1_}), "package.unexpected_entry");
}

TEST_F(Package, RefusesAnEntryOutsideThePayload) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(
      pkg, [](std::vector<TarEntry>& entries) { entries.push_back(tar_file("../evil", "evil")); });
  expect_verify_refused(bad, trust({&key1_}), "package.unexpected_entry");
}

TEST_F(Package, RefusesALinkWithAnotherTarget) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    find(entries, "payload/current")->target = "../../..";
  });
  expect_verify_refused(bad, trust({&key1_}), "package.unexpected_entry");
}

TEST_F(Package, RefusesAMissingFile) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    std::erase_if(entries, [](const TarEntry& e) { return e.name == "payload/etc/tool.conf"; });
  });
  expect_verify_refused(bad, trust({&key1_}), "package.missing_file");
}

TEST_F(Package, RefusesAMissingLink) {
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    std::erase_if(entries, [](const TarEntry& e) { return e.name == "payload/current"; });
  });
  expect_verify_refused(bad, trust({&key1_}), "package.missing_file");
}

TEST_F(Package, RefusesAManifestThatIsNotFirst) {
  auto pkg = build_signed(key1_);
  auto bad =
      rewrite(pkg, [](std::vector<TarEntry>& entries) { std::swap(entries[0], entries[1]); });
  expect_verify_refused(bad, trust({&key1_}), "package.malformed");
}

TEST_F(Package, RefusesAGarbageFile) {
  write_file(dir_ / "garbage.relpkg", std::string(4096, 'g'));
  expect_verify_refused(dir_ / "garbage.relpkg", trust({&key1_}), "package.malformed");
  auto r = inspect_package(dir_ / "missing.relpkg");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "package.read_failed");
}

TEST_F(Package, InstallExtractsExactlyTheFilesModesAndLinks) {
  auto pkg = build_signed(key1_);
  auto dest = dir_ / "installed";
  auto r = install_payload(pkg, trust({&key1_}), dest);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->package_sha256, sha256_file(pkg).value());
  EXPECT_EQ(read_file(dest / "bin/tool"), "#!/bin/sh\necho hello\n");
  EXPECT_EQ(read_file(dest / "etc/tool.conf"), "greeting=hello\n");
  EXPECT_EQ(read_file(dest / "share/doc/README"), "read me\n");
  EXPECT_EQ(file_mode(dest / "bin/tool"), 0755u);
  EXPECT_EQ(file_mode(dest / "etc/tool.conf"), 0644u);
  EXPECT_EQ(file_mode(dest / "share/doc/README"), 0600u);
  EXPECT_EQ(fs::read_symlink(dest / "current"), "bin");
  EXPECT_EQ(fs::read_symlink(dest / "share/doc/conf"), "../../etc/tool.conf");
  EXPECT_EQ(read_file(dest / "share/doc/conf"), "greeting=hello\n");

  std::set<std::string> found;
  for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_directory() || it->is_symlink()) {
      found.insert(it->path().lexically_relative(dest).generic_string());
    }
  }
  EXPECT_EQ(found, (std::set<std::string>{"bin/tool", "current", "etc/tool.conf",
                                          "share/doc/README", "share/doc/conf"}));
}

TEST_F(Package, InstallRefusesAnExistingDestination) {
  auto pkg = build_signed(key1_);
  fs::create_directory(dir_ / "installed");
  auto r = install_payload(pkg, trust({&key1_}), dir_ / "installed");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "extract.destination_exists");
  EXPECT_TRUE(fs::exists(dir_ / "installed"));
}

TEST_F(Package, InstallLeavesNothingWhenAFileIsTamperedLate) {
  // The bad file comes after good ones were written: they must be removed too.
  auto pkg = build_signed(key1_);
  auto bad = rewrite(pkg, [](std::vector<TarEntry>& entries) {
    find(entries, "payload/share/doc/README")->data = "READ ME\n";
  });
  auto dest = dir_ / "installed";
  auto r = install_payload(bad, trust({&key1_}), dest);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "package.payload_hash_mismatch");
  EXPECT_EQ(r.error().context, "share/doc/README");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dest)));
}

TEST_F(Package, InstallEnforcesExtractLimits) {
  auto pkg = build_signed(key1_);
  ExtractLimits limits;
  limits.max_entry_bytes = 8;
  auto r = install_payload(pkg, trust({&key1_}), dir_ / "installed", limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "extract.too_large");
  EXPECT_FALSE(fs::exists(dir_ / "installed"));
}

}  // namespace
}  // namespace relman::packaging
