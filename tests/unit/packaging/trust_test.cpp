#include "packaging/trust.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace relman::packaging {
namespace {

using relman::test::TempDir;
using relman::test::write_file;

TrustStore sample(int publishers = 2) {
  TrustStore t;
  t.version = 3;
  t.threshold = 1;
  for (int i = 0; i < publishers; ++i) {
    t.publishers.push_back({"publisher-" + std::to_string(i), generate_signing_key().public_key()});
  }
  t.order_keys.push_back({"controller", generate_signing_key().public_key()});
  return t;
}

TEST(TrustStore, SaveAndLoadRoundTrip) {
  TempDir dir;
  auto t = sample();
  t.threshold = 2;
  ASSERT_TRUE(save_trust_store(t, dir / "trust.json").has_value());
  auto back = load_trust_store(dir / "trust.json");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->version, 3);
  EXPECT_EQ(back->threshold, 2);
  ASSERT_EQ(back->publishers.size(), 2u);
  EXPECT_EQ(back->publishers[1].name, "publisher-1");
  EXPECT_EQ(back->publishers[1].key.key_id(), t.publishers[1].key.key_id());
  ASSERT_EQ(back->order_keys.size(), 1u);
  EXPECT_EQ(back->order_keys[0].key.key_id(), t.order_keys[0].key.key_id());
  EXPECT_NE(back->find_publisher(t.publishers[0].key.key_id()), nullptr);
  EXPECT_EQ(back->find_publisher(t.order_keys[0].key.key_id()), nullptr);
  EXPECT_NE(back->find_order_key(t.order_keys[0].key.key_id()), nullptr);
}

TEST(TrustStore, RefusesThresholdZeroOrAbovePublisherCount) {
  for (int threshold : {0, -1, 3}) {
    auto j = to_json(sample());
    j["threshold"] = threshold;
    auto r = trust_store_from_json(j);
    ASSERT_FALSE(r.has_value()) << threshold;
    EXPECT_EQ(r.error().code, "trust.threshold_invalid");
  }
  TempDir dir;
  auto t = sample();
  t.threshold = 5;
  auto saved = save_trust_store(t, dir / "trust.json");
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().code, "trust.threshold_invalid");
}

TEST(TrustStore, RefusesTheSameKeyTwice) {
  auto j = to_json(sample());
  j["publishers"][1]["public_key"] = j["publishers"][0]["public_key"];
  auto r = trust_store_from_json(j);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.duplicate_key");
}

TEST(TrustStore, RefusesMalformedDocuments) {
  auto j = to_json(sample());
  j["publishers"][0]["public_key"] = "AAAA";
  auto r = trust_store_from_json(j);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.invalid");
  EXPECT_NE(r.error().context.find("publishers[0].public_key"), std::string::npos);

  j = to_json(sample());
  j["extra"] = true;
  r = trust_store_from_json(j);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.invalid");

  j = to_json(sample());
  j.erase("publishers");
  r = trust_store_from_json(j);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.invalid");
}

TEST(TrustStore, LoadReportsUnreadableAndNonJsonFiles) {
  TempDir dir;
  auto r = load_trust_store(dir / "missing.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.read_failed");
  write_file(dir / "bad.json", "{not json");
  r = load_trust_store(dir / "bad.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "trust.invalid");
}

}  // namespace
}  // namespace relman::packaging
