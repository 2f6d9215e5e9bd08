#include "packaging/deb_version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relman::packaging {
namespace {

struct Case {
  std::string a;
  int expected;  // sign of compare(a, b)
  std::string b;
};

// Each row was checked against `dpkg --compare-versions` on Debian 12.
const std::vector<Case> kCases = {
    {"1.0", 0, "1.0"},
    {"1.0", -1, "1.1"},
    {"1.9", -1, "1.10"},
    {"1.0~rc1", -1, "1.0"},
    {"1.0~~", -1, "1.0~"},
    {"1.0~", -1, "1.0"},
    {"1.0", -1, "1.0a"},
    {"1.0a", -1, "1.0+"},
    {"1.0+", -1, "1.0."},
    {"1:0.1", 1, "2.0"},
    {"0:1.0", 0, "1.0"},
    {"1.0", 0, "1.0-0"},
    {"1.0-1", -1, "1.0-2"},
    {"1.0-1", -1, "1.0-1.1"},
    {"1.0-1~bpo1", -1, "1.0-1"},
    {"3.0.11-1~deb12u2", 1, "3.0.11-1~deb12u1"},
    {"3.0.11-1~deb12u2", -1, "3.0.13-1~deb12u1"},
    {"3.0.9-1", -1, "3.0.11-1"},
    {"2.36-9+deb12u4", 1, "2.36-9"},
    {"01", 0, "1"},
    {"10", 1, "9"},
    {"a", -1, "b"},
    {"web10", 1, "web9"},
    {"1.2.3-rc.1", 1, "1.2.3"},  // a Debian revision, not a semver pre-release
    {"6.1.0-18-amd64", 1, "6.1.0-9-amd64"},
    {"12", 1, "11"},
    {"1.0-abc-1", -1, "1.0-abc-2"},
};

int sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

TEST(DebVersionOrder, AgreesWithDpkg) {
  for (const auto& c : kCases) {
    EXPECT_EQ(sign(compare_deb_versions(c.a, c.b)), c.expected) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_deb_versions(c.b, c.a)), -c.expected) << c.b << " vs " << c.a;
  }
}

TEST(DebVersionOrder, ComparesEpochsOfAnyLengthWithoutOverflow) {
  EXPECT_GT(compare_deb_versions("99999999999999999999999:1", "9999999999999999999999:9"), 0);
  EXPECT_EQ(compare_deb_versions("0001:1", "1:1"), 0);
  EXPECT_GT(compare_deb_versions("1:0", "999"), 0);
}

TEST(DebVersionOrder, TreatsANonNumericPrefixBeforeAColonAsUpstream) {
  // "x:9" has epoch 0 and upstream "x:9", so any epoch 1 version is newer.
  EXPECT_LT(compare_deb_versions("x:9", "1:0"), 0);
  EXPECT_EQ(compare_deb_versions("x:9", "x:9"), 0);
  EXPECT_LT(compare_deb_versions("x:9", "x:10"), 0);
}

// dpkg refuses these; relman still orders them, the way dpkg orders the parts it accepts.
TEST(DebVersionOrder, OrdersEmptyStringsLikeAnEmptyUpstream) {
  EXPECT_EQ(compare_deb_versions("", ""), 0);
  EXPECT_LT(compare_deb_versions("", "0.1"), 0);
  EXPECT_LT(compare_deb_versions("~", ""), 0);
}

TEST(DebVersionCheck, AcceptsWhatDebianPolicyAllows) {
  for (const char* v : {"1", "1.0", "2:1.2.3-4", "1.0~rc1", "1.0+dfsg-1ubuntu0.2", "0:0", "1.2-3-4",
                        "3.0~beta2+git20250101-1~bpo12+1", "9a"}) {
    EXPECT_TRUE(check_deb_version(v).has_value()) << v;
  }
}

TEST(DebVersionCheck, RefusesMalformedVersionsSayingWhy) {
  struct Bad {
    std::string text;
    const char* why;
  };
  for (const auto& b : std::vector<Bad>{{"", "empty"},
                                        {"a1.0", "start with a digit"},
                                        {":1.0", "epoch before ':' is empty"},
                                        {"x:1.0", "epoch before ':' must be digits"},
                                        {"1234567890:1", "epoch is too large"},
                                        {"1.0-", "revision after the last '-' is empty"},
                                        {"-1", "upstream version is empty"},
                                        {"1.0-a_b", "revision may hold only"},
                                        {"1.0 beta", "upstream version may hold only"},
                                        {"1:2:3", "upstream version may hold only"},
                                        {std::string(129, '1'), "longer than 128"}}) {
    auto r = check_deb_version(b.text);
    ASSERT_FALSE(r.has_value()) << b.text;
    EXPECT_EQ(r.error().code, "version.invalid");
    EXPECT_NE(r.error().message.find(b.why), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace relman::packaging
