#include "packaging/manifest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "packaging/sha256.hpp"

namespace relman::packaging {
namespace {

Manifest sample() {
  Manifest m;
  m.name = "web-frontend";
  m.version = "2.4.1-rc.1";
  m.platform = "linux-x86_64";
  m.description = "the web front end";
  m.files = {{"bin/server", 10, sha256_hex("0123456789"), 0755},
             {"etc/server.conf", 3, sha256_hex("a=1"), 0644}};
  m.links = {{"current", "bin/server"}};
  m.hooks.post_install = "systemctl restart web";
  m.hooks.timeout_seconds = 120;
  return m;
}

void expect_refused(const nlohmann::json& j, const std::string& code,
                    const std::string& context_part = {}) {
  auto r = manifest_from_json(j);
  ASSERT_FALSE(r.has_value()) << j.dump();
  EXPECT_EQ(r.error().code, code) << r.error().describe();
  if (!context_part.empty()) {
    EXPECT_NE(r.error().context.find(context_part), std::string::npos) << r.error().describe();
  }
}

TEST(ManifestParse, AcceptsWhatToJsonWrites) {
  auto m = sample();
  auto back = manifest_from_json(to_json(m));
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->version, m.version);
  EXPECT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[0].mode, 0755u);
  EXPECT_EQ(back->links[0].target, "bin/server");
  EXPECT_EQ(back->hooks.timeout_seconds, 120);
  EXPECT_EQ(canonical_manifest(*back), canonical_manifest(m));
}

TEST(ManifestParse, RefusesUnknownFields) {
  auto j = to_json(sample());
  j["extra"] = 1;
  expect_refused(j, "protocol.unknown_field", "extra");
  j = to_json(sample());
  j["files"][0]["owner"] = "root";
  expect_refused(j, "protocol.unknown_field", "owner");
  j = to_json(sample());
  j["hooks"]["pre_remove"] = "rm -rf /";
  expect_refused(j, "protocol.unknown_field", "pre_remove");
}

TEST(ManifestParse, RefusesMissingFields) {
  for (const char* field :
       {"schema", "name", "version", "platform", "payload_kind", "files", "links", "hooks"}) {
    auto j = to_json(sample());
    j.erase(field);
    expect_refused(j, "protocol.missing_field", field);
  }
  auto j = to_json(sample());
  j["files"][1].erase("sha256");
  expect_refused(j, "protocol.missing_field", "sha256");
}

TEST(ManifestParse, RefusesWrongTypes) {
  auto j = to_json(sample());
  j["schema"] = "1";
  expect_refused(j, "protocol.wrong_type", "schema");
  j = to_json(sample());
  j["files"][0]["size"] = "10";
  expect_refused(j, "protocol.wrong_type", "size");
  j = to_json(sample());
  j["files"] = nlohmann::json::object();
  expect_refused(j, "protocol.wrong_type", "files");
  j = to_json(sample());
  j["name"] = 5;
  expect_refused(j, "protocol.wrong_type", "name");
  j = to_json(sample());
  j["files"][0]["size"] = 1.5;
  expect_refused(j, "protocol.wrong_type", "size");
  expect_refused(nlohmann::json::array(), "protocol.not_an_object");
}

TEST(ManifestParse, RefusesBadNames) {
  for (const char* name : {"Web", "-web", ".web", "web frontend", "web/x", ""}) {
    auto j = to_json(sample());
    j["name"] = name;
    auto r = manifest_from_json(j);
    EXPECT_FALSE(r.has_value()) << name;
  }
  auto j = to_json(sample());
  j["name"] = "Web";
  expect_refused(j, "manifest.invalid", "name");
  j["name"] = std::string(65, 'a');
  EXPECT_FALSE(manifest_from_json(j).has_value());
  EXPECT_TRUE(is_valid_package_name("a"));
  EXPECT_TRUE(is_valid_package_name("lib.foo_bar+x-1"));
}

TEST(ManifestParse, RefusesBadVersions) {
  for (const char* version : {"1.0", "v1.0.0", "01.0.0", "1.0.0-"}) {
    auto j = to_json(sample());
    j["version"] = version;
    expect_refused(j, "manifest.invalid", "version");
  }
}

TEST(ManifestParse, RefusesUnsafePaths) {
  for (const char* path : {"../x", "/etc/x", "a//b", "a/./b", "a/../b", "a/", ".", "./a", ""}) {
    auto j = to_json(sample());
    j["files"][0]["path"] = path;
    auto r = manifest_from_json(j);
    ASSERT_FALSE(r.has_value()) << path;
    if (*path) {
      EXPECT_EQ(r.error().code, "manifest.invalid") << path;
    }
    j = to_json(sample());
    j["links"][0]["path"] = path;
    EXPECT_FALSE(manifest_from_json(j).has_value()) << path;
  }
  EXPECT_FALSE(is_safe_relative_path(std::string("a\0b", 3)));
  EXPECT_FALSE(is_safe_relative_path(std::string(4097, 'a')));
  EXPECT_TRUE(is_safe_relative_path("a/b/c.txt"));
}

TEST(ManifestParse, RefusesDuplicateAndUnsortedPaths) {
  auto j = to_json(sample());
  j["files"][1]["path"] = "bin/server";
  expect_refused(j, "manifest.invalid", "files");
  j = to_json(sample());
  std::swap(j["files"][0], j["files"][1]);
  expect_refused(j, "manifest.invalid", "files");
  j = to_json(sample());
  j["links"][0]["path"] = "bin/server";  // a link and a file at one path
  expect_refused(j, "manifest.invalid");
  j = to_json(sample());
  j["links"][0]["path"] = "bin/server/x";  // under a file
  expect_refused(j, "manifest.invalid");
}

TEST(ManifestParse, RefusesModesBeyond0777) {
  auto j = to_json(sample());
  j["files"][0]["mode"] = 01000;
  expect_refused(j, "protocol.out_of_range", "mode");
  j["files"][0]["mode"] = 04755;
  expect_refused(j, "protocol.out_of_range", "mode");
  j["files"][0]["mode"] = -1;
  expect_refused(j, "protocol.out_of_range", "mode");
}

TEST(ManifestParse, RefusesBadHashesAndHooks) {
  auto j = to_json(sample());
  j["files"][0]["sha256"] = std::string(64, 'A');
  expect_refused(j, "manifest.invalid", "sha256");
  j = to_json(sample());
  j["hooks"]["timeout_seconds"] = 0;
  expect_refused(j, "protocol.out_of_range", "timeout_seconds");
  j = to_json(sample());
  j["payload_kind"] = "rpm";
  expect_refused(j, "manifest.invalid", "payload_kind");
  // A deb package is one .deb and nothing else (the sample has links and several files).
  j = to_json(sample());
  j["payload_kind"] = "deb";
  expect_refused(j, "manifest.invalid", "manifest.files");
  j = to_json(sample());
  j["schema"] = 2;
  expect_refused(j, "protocol.out_of_range", "schema");
}

TEST(ManifestParse, RefusesLinksLeavingThePackageRoot) {
  for (const char* target : {"../x", "../../etc/passwd", "/etc/passwd", "bin/../../x", ""}) {
    auto j = to_json(sample());
    j["links"][0]["target"] = target;
    auto r = manifest_from_json(j);
    ASSERT_FALSE(r.has_value()) << target;
  }
  auto j = to_json(sample());
  j["links"][0]["target"] = "../../etc/passwd";
  expect_refused(j, "manifest.invalid", "current");
  // Inside: a link in a subdirectory pointing up to the root is fine.
  j = to_json(sample());
  j["links"] = {{{"path", "bin/up"}, {"target", "../etc/server.conf"}}};
  EXPECT_TRUE(manifest_from_json(j).has_value());
}

TEST(ManifestParse, RefusesLinksEscapingThroughAnotherLink) {
  // "sub/l1" -> ".." is the root: harmless alone. "x" -> "sub/l1/.." looks like "sub" but the
  // kernel resolves sub/l1 first and lands one level above the root.
  auto j = to_json(sample());
  j["files"] = nlohmann::json::array();
  j["links"] = {{{"path", "sub/l1"}, {"target", ".."}}, {{"path", "x"}, {"target", "sub/l1/.."}}};
  expect_refused(j, "manifest.invalid");
}

TEST(ManifestCanonical, IsIndependentOfKeyOrderAndWhitespace) {
  const std::string a = R"({"schema":1,"name":"n","version":"1.0.0","platform":"any",
    "payload_kind":"archive","description":"","files":[],"links":[],
    "hooks":{"pre_install":"","post_install":"","health_check":"","timeout_seconds":60}})";
  const std::string b = R"({ "hooks" : {"timeout_seconds":60, "health_check":"",
    "post_install":"", "pre_install":""}, "links":[], "files":[], "description":"",
    "payload_kind":"archive", "platform":"any", "version":"1.0.0", "name":"n", "schema":1 })";
  auto ma = manifest_from_json(nlohmann::json::parse(a));
  auto mb = manifest_from_json(nlohmann::json::parse(b));
  ASSERT_TRUE(ma.has_value());
  ASSERT_TRUE(mb.has_value());
  EXPECT_EQ(canonical_manifest(*ma), canonical_manifest(*mb));
  EXPECT_EQ(manifest_sha256(*ma), manifest_sha256(*mb));
  EXPECT_EQ(canonical_manifest(*ma).find(' '), std::string::npos);
  EXPECT_EQ(canonical_manifest(*ma).rfind("{\"description\":\"\",\"files\":[],\"hooks\":", 0), 0u);
}

TEST(ManifestCanonical, ChangesWhenAFileHashChanges) {
  auto m = sample();
  auto before = manifest_sha256(m);
  m.files[1].sha256 = sha256_hex("a=2");
  EXPECT_NE(manifest_sha256(m), before);
}

}  // namespace
}  // namespace relman::packaging
