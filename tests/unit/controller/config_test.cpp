#include "controller/config.hpp"

#include <gtest/gtest.h>

#include "controller/auth/passwords.hpp"
#include "controller/database_config.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

using relman::test::TempDir;
using relman::test::write_file;

constexpr const char* kMinimal = R"({
  "data_dir": "data",
  "tls": {"cert": "c.crt", "key": "c.key", "client_ca": "/etc/ca.crt"},
  "order_signing_key": "order.key",
  "trust": "trust.json"
})";

TEST(ControllerConfig, ResolvesRelativePathsAgainstTheFile) {
  TempDir tmp;
  write_file(tmp / "controller.json", kMinimal);
  auto c = load_controller_config(tmp / "controller.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->data_dir, tmp.path() / "data");
  EXPECT_EQ(c->client_ca, "/etc/ca.crt");
  EXPECT_EQ(c->port, 8443);
  EXPECT_EQ(c->host_stale_after_seconds, 86400);
  auto db = load_database_config(tmp / "controller.json", c->database());
  ASSERT_TRUE(db) << db.error().describe();
  EXPECT_EQ(db->kind, DatabaseConfig::Kind::sqlite);
  EXPECT_EQ(db->path, tmp.path() / "data" / "relman.db");
}

TEST(ControllerConfig, HostStaleAfterIsBounded) {
  TempDir tmp;
  write_file(tmp / "c.json",
             std::string(kMinimal).replace(1, 0, R"("host_stale_after_seconds": 600,)"));
  auto c = load_controller_config(tmp / "c.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->host_stale_after_seconds, 600);
  write_file(tmp / "c.json",
             std::string(kMinimal).replace(1, 0, R"("host_stale_after_seconds": 0,)"));
  auto r = load_controller_config(tmp / "c.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "protocol.out_of_range");
  EXPECT_EQ(r.error().context, "host_stale_after_seconds");
}

TEST(ControllerConfig, AttachmentLimitIsBounded) {
  TempDir tmp;
  write_file(tmp / "c.json", kMinimal);
  auto d = load_controller_config(tmp / "c.json");
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->attachment_max_bytes, kDefaultAttachmentMaxBytes);
  write_file(tmp / "c.json",
             std::string(kMinimal).replace(1, 0, R"("attachment_max_bytes": 4096,)"));
  auto c = load_controller_config(tmp / "c.json");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->attachment_max_bytes, 4096u);
  for (const char* bad : {R"("attachment_max_bytes": 0,)", R"("attachment_max_bytes": 1073741825,)",
                          R"("attachment_max_bytes": "25M",)"}) {
    write_file(tmp / "c.json", std::string(kMinimal).replace(1, 0, bad));
    auto r = load_controller_config(tmp / "c.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().context, "attachment_max_bytes") << bad;
  }
}

TEST(ControllerConfig, SoftwareBlacklistHoldsPackageNames) {
  TempDir tmp;
  auto with = [&](const std::string& list) {
    write_file(tmp / "c.json",
               std::string(kMinimal).replace(1, 0, "\"software_blacklist\": " + list + ","));
    return load_controller_config(tmp / "c.json");
  };
  auto c = with(R"(["telnetd", "rsh-server"])");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->software_blacklist, (std::vector<std::string>{"telnetd", "rsh-server"}));
  for (const char* bad : {R"([""])", R"([1])", R"("telnetd")"}) {
    auto r = with(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().context, "software_blacklist") << bad;
  }
}

std::string with_database(const std::string& section) {
  return std::string(kMinimal).replace(1, 0, "\"database\": " + section + ",");
}

TEST(ControllerConfig, ReadsTheDatabaseSection) {
  TempDir tmp;
  write_file(tmp / "c.json", with_database(R"({"kind": "sqlite", "path": "store/r.db"})"));
  ASSERT_TRUE(load_controller_config(tmp / "c.json")) << "the main reader lets the section be";
  auto lite = load_database_config(tmp / "c.json", "default.db");
  ASSERT_TRUE(lite) << lite.error().describe();
  EXPECT_EQ(lite->path, tmp.path() / "store" / "r.db");

  write_file(tmp / "pw", "s3cret\n");
  write_file(tmp / "c.json", with_database(R"({"kind": "postgresql", "url":
      "postgresql://relman@db.example.org:5432/relman", "password_file": "pw", "pool_size": 4})"));
  auto pg = load_database_config(tmp / "c.json", "default.db");
  ASSERT_TRUE(pg) << pg.error().describe();
  EXPECT_EQ(pg->kind, DatabaseConfig::Kind::postgresql);
  EXPECT_EQ(pg->url, "postgresql://relman@db.example.org:5432/relman");
  EXPECT_EQ(pg->password_file, tmp.path() / "pw");
  EXPECT_EQ(pg->password, "s3cret") << "read, without the line end";
  EXPECT_EQ(pg->pool_size, 4);
}

TEST(ControllerConfig, RefusesABadDatabaseSectionSayingWhy) {
  TempDir tmp;
  write_file(tmp / "empty", "");
  struct Case {
    std::string section, code, context;
  };
  for (const auto& c : std::vector<Case>{
           {R"("sqlite")", "config.invalid", "database"},
           {R"({"path": "x.db"})", "protocol.missing_field", "database.kind"},
           {R"({"kind": "mysql"})", "config.invalid", "database.kind"},
           {R"({"kind": "sqlite", "url": "postgresql://h/db"})", "config.invalid", "database.url"},
           {R"({"kind": "sqlite", "colour": 1})", "protocol.unknown_field", "database.colour"},
           {R"({"kind": "postgresql"})", "protocol.missing_field", "database.url"},
           {R"({"kind": "postgresql", "url": "host=db dbname=relman"})", "config.invalid",
            "database.url"},
           {R"({"kind": "postgresql", "url": "postgresql://relman:hunter2@db/relman"})",
            "config.invalid", "database.url"},
           {R"({"kind": "postgresql", "url": "postgresql://db/relman?password=hunter2"})",
            "config.invalid", "database.url"},
           {R"({"kind": "postgresql", "url": "postgresql://db/r", "path": "x.db"})",
            "config.invalid", "database.path"},
           {R"({"kind": "postgresql", "url": "postgresql://db/r", "password_file": "absent"})",
            "config.invalid", "database.password_file"},
           {R"({"kind": "postgresql", "url": "postgresql://db/r", "password_file": "empty"})",
            "config.invalid", "database.password_file"},
           {R"({"kind": "postgresql", "url": "postgresql://db/r", "pool_size": 0})",
            "protocol.out_of_range", "database.pool_size"},
       }) {
    write_file(tmp / "c.json", with_database(c.section));
    auto r = load_database_config(tmp / "c.json", "default.db");
    ASSERT_FALSE(r) << c.section;
    EXPECT_EQ(r.error().code, c.code) << c.section << ": " << r.error().describe();
    EXPECT_EQ(r.error().context, c.context) << c.section << ": " << r.error().describe();
    EXPECT_EQ(r.error().describe().find("hunter2"), std::string::npos) << r.error().describe();
  }
}

TEST(ControllerConfig, RefusesUnknownKeysAndBadValues) {
  TempDir tmp;
  struct Case {
    std::string text, code, context;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"data_dir": "d", "colour": 1})", "protocol.missing_field", "tls"},
           {std::string(kMinimal).replace(1, 0, R"("prot": 1,)"), "protocol.unknown_field", "prot"},
           {std::string(kMinimal).replace(1, 0, R"("port": 70000,)"), "protocol.out_of_range",
            "port"},
           {"not json", "protocol.malformed_json", "config"},
       }) {
    write_file(tmp / "c.json", c.text);
    auto r = load_controller_config(tmp / "c.json");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().context, c.context) << c.text;
  }
  auto missing = load_controller_config(tmp / "absent.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "config.read_failed");
}

TEST(Passwords, HashVerifiesOnlyTheRightPassword) {
  auto h = hash_password("s3cret");
  ASSERT_TRUE(h);
  EXPECT_TRUE(verify_password("s3cret", *h));
  EXPECT_FALSE(verify_password("s3cret ", *h));
  EXPECT_NE(*hash_password("s3cret"), *h) << "salted";
  EXPECT_FALSE(verify_password("s3cret", "scrypt$1$1$1$zz$zz"));
  EXPECT_FALSE(verify_password("s3cret", "plain"));
}

TEST(Passwords, TokensAreRandomAndStoredHashed) {
  auto a = new_session_token(), b = new_session_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(token_hash(a).size(), 64u);
  EXPECT_NE(token_hash(a), a);
}

}  // namespace
}  // namespace relman::controller
