#include "packaging/version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relman::packaging {
namespace {

Version v(const std::string& text) {
  auto parsed = parse_version(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Version{});
}

int cmp(const std::string& a, const std::string& b) { return compare_versions(v(a), v(b)); }

TEST(VersionOrder, FollowsTheSemverSpecPrecedenceChain) {
  const std::vector<std::string> chain = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                          "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                          "1.0.0-rc.1",  "1.0.0"};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    for (std::size_t j = 0; j < chain.size(); ++j) {
      int c = cmp(chain[i], chain[j]);
      if (i < j) {
        EXPECT_LT(c, 0) << chain[i] << " < " << chain[j];
      } else if (i == j) {
        EXPECT_EQ(c, 0) << chain[i];
      } else {
        EXPECT_GT(c, 0) << chain[i] << " > " << chain[j];
      }
    }
  }
}

TEST(VersionOrder, ComparesCoreNumbersNumerically) {
  EXPECT_LT(cmp("1.0.0", "2.0.0"), 0);
  EXPECT_LT(cmp("2.0.0", "2.1.0"), 0);
  EXPECT_LT(cmp("2.1.0", "2.1.1"), 0);
  EXPECT_LT(cmp("1.9.0", "1.10.0"), 0);
  EXPECT_GT(cmp("10.0.0", "9.99.99"), 0);
}

TEST(VersionOrder, ComparesNumericIdentifiersNumericallyAndBeforeAlphanumeric) {
  EXPECT_LT(cmp("1.0.0-2", "1.0.0-10"), 0);
  EXPECT_LT(cmp("1.0.0-999", "1.0.0-a"), 0);
  EXPECT_LT(cmp("1.0.0-a10", "1.0.0-a9"), 0);  // alphanumeric compares lexically
  EXPECT_LT(cmp("1.0.0-Z", "1.0.0-a"), 0);     // ASCII order
  EXPECT_LT(cmp("1.0.0-18446744073709551616", "1.0.0-18446744073709551617"), 0);
}

TEST(VersionOrder, IgnoresBuildMetadata) {
  EXPECT_EQ(cmp("1.0.0+build.1", "1.0.0+build.2"), 0);
  EXPECT_EQ(cmp("1.0.0-rc.1+001", "1.0.0-rc.1"), 0);
  EXPECT_EQ(v("1.0.0-rc.1+exp.sha.5114f85").build, "exp.sha.5114f85");
}

TEST(VersionParse, ReadsAllParts) {
  auto x = v("12.34.56-alpha.7+meta-data.01");
  EXPECT_EQ(x.major, 12u);
  EXPECT_EQ(x.minor, 34u);
  EXPECT_EQ(x.patch, 56u);
  EXPECT_EQ(x.prerelease, (std::vector<std::string>{"alpha", "7"}));
  EXPECT_EQ(x.build, "meta-data.01");
  EXPECT_EQ(x.text(), "12.34.56-alpha.7+meta-data.01");
  EXPECT_TRUE(parse_version("1.0.0-x-y-z.--").has_value());
}

TEST(VersionParse, RefusesInvalidInput) {
  const std::vector<std::string> bad = {"",
                                        "1",
                                        "1.0",
                                        "1.0.0.0",
                                        "v1.0.0",
                                        "01.0.0",
                                        "1.02.0",
                                        "1.0.03",
                                        "1.0.0-01",
                                        "1.0.0-",
                                        "1.0.0-a..b",
                                        "1.0.0-a.",
                                        "1.0.0+",
                                        "1.0.0+a..b",
                                        "1.0.0-a_b",
                                        "1.0.0 ",
                                        " 1.0.0",
                                        "1..0",
                                        "-1.0.0",
                                        "1.0.0-é",
                                        "1.0.x",
                                        "18446744073709551616.0.0",
                                        "1.0.0-" + std::string(130, 'a')};
  for (const auto& text : bad) {
    auto r = parse_version(text);
    ASSERT_FALSE(r.has_value()) << "accepted: " << text;
    EXPECT_EQ(r.error().code, "version.invalid") << text;
  }
}

TEST(VersionParse, AcceptsExactly128Characters) {
  std::string text = "1.0.0-" + std::string(122, 'a');
  ASSERT_EQ(text.size(), 128u);
  EXPECT_TRUE(parse_version(text).has_value());
  EXPECT_FALSE(parse_version(text + "b").has_value());
}

}  // namespace
}  // namespace relman::packaging
