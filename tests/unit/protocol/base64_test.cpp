#include "protocol/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relman::protocol {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripsBinary) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    auto in = bytes.substr(0, len);
    auto out = base64_decode(base64_encode(in));
    ASSERT_TRUE(out) << len;
    EXPECT_EQ(*out, in);
  }
}

TEST(Base64, DecodesPadding) {
  EXPECT_EQ(base64_decode("Zg==").value(), "f");
  EXPECT_EQ(base64_decode("Zm8=").value(), "fo");
  EXPECT_EQ(base64_decode("").value(), "");
}

TEST(Base64, RefusesBadInput) {
  for (const char* text : {"Zg=", "Zm9v!A==", "Zm9v\nYg==", "Zm9-", "Zm9_"}) {
    auto r = base64_decode(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, "protocol.invalid_base64") << text;
  }
}

}  // namespace
}  // namespace relman::protocol
