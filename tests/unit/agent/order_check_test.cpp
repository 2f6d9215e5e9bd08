#include "agent/installer/order_check.hpp"

#include <gtest/gtest.h>

#include "packaging/signing.hpp"
#include "packaging/trust.hpp"
#include "protocol/canonical_json.hpp"

namespace relman::agent {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;

class OrderCheck : public ::testing::Test {
 protected:
  OrderCheck() {
    trust_.order_keys.push_back({"controller", controller_.public_key()});
    trust_.publishers.push_back({"release-team", packaging::generate_signing_key().public_key()});
  }

  protocol::DeployOrder order() const {
    protocol::DeployOrder o;
    o.order_id = "order-1";
    o.deployment_id = 7;
    o.host_id = "web-01";
    o.package_name = "app";
    o.package_version = "1.2.0";
    o.package_sha256 = std::string(64, 'a');
    o.manifest_sha256 = std::string(64, 'b');
    o.package_size = 1000;
    o.download_path = "/api/v1/agent/packages/app/1.2.0";
    o.issued_at = kNow - 10;
    o.expires_at = kNow + 3600;
    return o;
  }

  protocol::DeployOrderMessage sign(const protocol::DeployOrder& o,
                                    const packaging::PrivateKey& key) const {
    protocol::DeployOrderMessage m;
    m.order = o;
    m.key_id = key.public_key().key_id();
    m.signature = packaging::sign(key, protocol::canonical_json(protocol::to_json(o)).value());
    return m;
  }
  protocol::DeployOrderMessage sign(const protocol::DeployOrder& o) const {
    return sign(o, controller_);
  }

  Result<void> check(const protocol::DeployOrderMessage& m,
                     std::optional<std::string> installed = std::nullopt,
                     std::int64_t now = kNow) const {
    return check_order(m, trust_, "web-01", now, installed);
  }

  packaging::PrivateKey controller_ = packaging::generate_signing_key();
  packaging::TrustStore trust_;
};

std::string code_of(const Result<void>& r) { return r ? std::string("ok") : r.error().code; }

TEST_F(OrderCheck, AcceptsASignedCurrentOrderForThisHost) {
  auto r = check(sign(order()));
  EXPECT_TRUE(r) << r.error().describe();
}

TEST_F(OrderCheck, RefusesAKeyThatIsNotATrustedOrderKey) {
  auto stranger = packaging::generate_signing_key();
  EXPECT_EQ(code_of(check(sign(order(), stranger))), "order.unknown_key");
}

TEST_F(OrderCheck, RefusesAPublisherKeyUsedToSignAnOrder) {
  // Publisher keys sign packages, never orders.
  auto publisher = packaging::generate_signing_key();
  trust_.publishers.push_back({"other-team", publisher.public_key()});
  EXPECT_EQ(code_of(check(sign(order(), publisher))), "order.unknown_key");
}

TEST_F(OrderCheck, RefusesAnOrderChangedAfterSigning) {
  auto m = sign(order());
  m.order.package_version = "9.9.9";
  EXPECT_EQ(code_of(check(m)), "order.signature_invalid");
  auto m2 = sign(order());
  m2.order.allow_downgrade = true;
  EXPECT_EQ(code_of(check(m2)), "order.signature_invalid");
}

TEST_F(OrderCheck, RefusesAGarbageSignature) {
  auto m = sign(order());
  m.signature = "not base64!";
  EXPECT_EQ(code_of(check(m)), "order.signature_invalid");
}

TEST_F(OrderCheck, RefusesAnOrderForAnotherHostNamingBoth) {
  auto o = order();
  o.host_id = "db-07";
  auto r = check(sign(o));
  ASSERT_EQ(code_of(r), "order.wrong_host");
  EXPECT_NE(r.error().message.find("db-07"), std::string::npos);
  EXPECT_NE(r.error().message.find("web-01"), std::string::npos);
}

TEST_F(OrderCheck, RefusesAnExpiredOrderSayingWhenAndTheAgentClock) {
  auto o = order();
  o.issued_at = kNow - 7200;
  o.expires_at = kNow - 3600;
  auto r = check(sign(o));
  ASSERT_EQ(code_of(r), "order.expired");
  EXPECT_NE(r.error().message.find(std::to_string(kNow - 3600)), std::string::npos);
  EXPECT_NE(r.error().message.find(std::to_string(kNow)), std::string::npos);
  EXPECT_NE(r.error().message.find("clock"), std::string::npos);
  // Expiry is exclusive: at expires_at the order is no longer valid.
  o.expires_at = kNow;
  EXPECT_EQ(code_of(check(sign(o))), "order.expired");
}

TEST_F(OrderCheck, RefusesAnOrderIssuedTooFarInTheFuture) {
  auto o = order();
  o.issued_at = kNow + kMaxOrderClockSkewSeconds + 1;
  o.expires_at = kNow + 7200;
  EXPECT_EQ(code_of(check(sign(o))), "order.not_yet_valid");
  o.issued_at = kNow + kMaxOrderClockSkewSeconds;  // within the tolerated skew
  EXPECT_EQ(code_of(check(sign(o))), "ok");
}

TEST_F(OrderCheck, RefusesAnInvalidVersion) {
  auto o = order();
  o.package_version = "v1.2";
  EXPECT_EQ(code_of(check(sign(o))), "order.invalid_version");
}

TEST_F(OrderCheck, RefusesADowngrade) {
  auto r = check(sign(order()), "1.10.0");
  ASSERT_EQ(code_of(r), "order.downgrade_refused");
  EXPECT_NE(r.error().message.find("1.10.0"), std::string::npos);
  // A pre-release sorts before its release.
  auto o = order();
  o.package_version = "1.2.0-rc.1";
  EXPECT_EQ(code_of(check(sign(o), "1.2.0")), "order.downgrade_refused");
}

TEST_F(OrderCheck, AllowsADowngradeWhenTheSignedOrderSaysSo) {
  auto o = order();
  o.allow_downgrade = true;
  EXPECT_EQ(code_of(check(sign(o), "1.10.0")), "ok");
}

TEST_F(OrderCheck, AllowsAnUpgradeAndTheSameVersion) {
  EXPECT_EQ(code_of(check(sign(order()), "1.1.9")), "ok");
  EXPECT_EQ(code_of(check(sign(order()), "1.2.0")), "ok");
}

TEST_F(OrderCheck, ChecksTheSignatureBeforeTheHost) {
  auto o = order();
  o.host_id = "db-07";
  auto m = sign(o);
  m.order.expires_at += 1;
  EXPECT_EQ(code_of(check(m)), "order.signature_invalid");
}

TEST_F(OrderCheck, RefusesPathUnsafeFieldsEvenWhenSigned) {
  auto o = order();
  o.package_name = "../etc";
  EXPECT_EQ(code_of(check(sign(o))), "order.invalid_package_name");
  o = order();
  o.package_sha256 = "../../x";
  EXPECT_EQ(code_of(check(sign(o))), "order.invalid_hash");
}

}  // namespace
}  // namespace relman::agent
