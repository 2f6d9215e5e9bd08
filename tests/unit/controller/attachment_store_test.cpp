// The attachment content store on a real directory: content addressing, deduplication, the
// size limit, and the checks on names and media types that come from the network.
#include "controller/releases/attachment_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "packaging/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace relman::controller {
namespace {

class AttachmentStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path upload(const std::string& bytes) {
    auto p = tmp / ("upload-" + std::to_string(++n) + ".part");
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  test::TempDir tmp{"relman-attach"};
  AttachmentStore store{tmp / "attachments", 64};
  int n = 0;
};

TEST_F(AttachmentStoreTest, KeepsBytesUnderTheirHashOnce) {
  ASSERT_TRUE(store.open());
  auto first_upload = upload("test report v1");
  auto a = store.put(first_upload);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->sha256, packaging::sha256_hex("test report v1"));
  EXPECT_EQ(a->size, 14u);
  EXPECT_FALSE(std::filesystem::exists(first_upload)) << "the upload is moved into the store";
  auto path = store.path_of(a->sha256);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, tmp / "attachments" / a->sha256.substr(0, 2) / a->sha256);

  auto second_upload = upload("test report v1");
  auto b = store.put(second_upload);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sha256, a->sha256);
  EXPECT_FALSE(std::filesystem::exists(second_upload)) << "a duplicate upload is removed";
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp / "attachments")) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(AttachmentStoreTest, RefusesEmptyAndOversizedFiles) {
  ASSERT_TRUE(store.open());
  auto empty = store.put(upload(""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "attachment.empty");
  auto big = store.put(upload(std::string(65, 'x')));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "attachment.too_large");
  EXPECT_TRUE(store.put(upload(std::string(64, 'x')))) << "the limit itself is allowed";
  auto missing = store.put(tmp / "no-such-upload");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "attachment.io");
}

TEST_F(AttachmentStoreTest, PathOfRefusesWhatIsNotAStoredHash) {
  ASSERT_TRUE(store.open());
  for (const std::string& bad : std::vector<std::string>{
           "", "../../etc/passwd", std::string(64, 'A'), std::string(64, 'a')}) {
    auto p = store.path_of(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, "attachment.not_found") << bad;
  }
}

TEST(AttachmentNames, AcceptsOrdinaryNamesVerbatim) {
  for (const std::string& good :
       std::vector<std::string>{"report.pdf", "Testbericht März.odt", "a'; DROP TABLE x;--.txt",
                                "résumé (final) v2.docx", std::string(200, 'n')}) {
    EXPECT_TRUE(check_attachment_name(good)) << good;
  }
}

TEST(AttachmentNames, RefusesPathsControlCharactersAndBadUtf8) {
  for (const std::string& bad :
       {std::string(), std::string(201, 'n'), std::string("."), std::string(".."),
        std::string("../x"), std::string("a/b"), std::string("a\\b"), std::string("a\nb"),
        std::string("a\x7f"), std::string("bad\xff.txt"), std::string("cut\xc3")}) {
    auto r = check_attachment_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "attachment.invalid_name") << bad;
  }
}

TEST(AttachmentMediaTypes, KeepsTypeAndSubtypeOnly) {
  EXPECT_EQ(normalize_media_type("application/pdf").value(), "application/pdf");
  EXPECT_EQ(normalize_media_type("Text/Plain; charset=utf-8").value(), "text/plain");
  EXPECT_EQ(normalize_media_type("application/vnd.oasis.opendocument.text").value(),
            "application/vnd.oasis.opendocument.text");
  for (const std::string& bad :
       std::vector<std::string>{"", "text", "/plain", "text/", "text/pl ain", "text/<script>",
                                std::string(101, 'a') + "/b"}) {
    auto r = normalize_media_type(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "attachment.invalid_media_type") << bad;
  }
}

}  // namespace
}  // namespace relman::controller
