// Release attachments through the real controller: upload streamed to disk, kept once by
// hash, listed and downloaded byte for byte as a file to save (never rendered), refused with a
// clear 4xx (and nothing stored) when the release, name, type or size is wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "packaging/sha256.hpp"
#include "tests/support/cluster.hpp"

namespace relman::test {
namespace {

using nlohmann::json;

class AttachmentsTest : public ::testing::Test {
 protected:
  AttachmentsTest() : pki(tmp / "pki"), controller(tmp / "controller", pki) {
    controller.config_overrides()["attachment_max_bytes"] = 4096;
    controller.start();
    auto r = controller.api("POST", "/api/v1/releases", json{{"title", "with evidence"}});
    EXPECT_EQ(r.status, 201) << r.text;
    release = r.body.value("id", std::int64_t{0});
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- controller log ----\n" << controller.log() << "\n";
  }

  protocol::HttpResponse send(protocol::HttpRequest req) {
    protocol::HttpsClient client(controller.anonymous_tls(), {"127.0.0.1", controller.port()});
    req.headers["authorization"] = "Bearer " + controller.token();
    auto r = client.request(req);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : protocol::HttpResponse{};
  }

  // POST /releases/{id}/attachments with `bytes` as the body; query is "?name=..." etc.
  ApiResult attach(std::int64_t id, const std::string& query, const std::string& bytes,
                   const std::string& content_type = "application/pdf") {
    auto file = tmp / ("body-" + std::to_string(++uploads));
    std::ofstream(file, std::ios::binary) << bytes;
    protocol::HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/releases/" + std::to_string(id) + "/attachments" + query;
    if (!content_type.empty()) req.headers["content-type"] = content_type;
    req.body_file = file;
    auto r = send(req);
    return ApiResult{r.status, json::parse(r.body, nullptr, false), r.body};
  }

  std::size_t stored_files() {
    std::size_t n = 0;
    auto dir = controller.data_dir() / "attachments";
    if (!std::filesystem::exists(dir)) return 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }

  std::size_t listed() {
    auto r = controller.api("GET", "/api/v1/releases/" + std::to_string(release) + "/attachments");
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body["items"].size();
  }

  TempDir tmp{"relman-it"};
  TestPki pki;
  ControllerProcess controller;
  std::int64_t release = 0;
  int uploads = 0;
};

TEST_F(AttachmentsTest, UploadListDownloadAndAudit) {
  std::string report = "test report: 118 passed, 0 failed\n";
  report += std::string(1000, '\0');  // binary content survives
  auto a = attach(release, "?name=Testbericht%20M%C3%A4rz.pdf", report);
  ASSERT_EQ(a.status, 201) << a.text;
  EXPECT_EQ(a.body["name"], "Testbericht März.pdf");
  EXPECT_EQ(a.body["sha256"], packaging::sha256_hex(report));
  EXPECT_EQ(a.body["size"], report.size());
  EXPECT_EQ(a.body["media_type"], "application/pdf");
  EXPECT_EQ(a.body["added_by"], "admin");

  auto list = controller.api("GET", "/api/v1/releases/" + std::to_string(release) + "/attachments");
  ASSERT_EQ(list.status, 200) << list.text;
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["id"], a.body["id"]);

  protocol::HttpRequest get;
  get.target = "/api/v1/releases/" + std::to_string(release) + "/attachments/" +
               std::to_string(a.body.value("id", 0));
  auto file = send(get);
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.body, report);
  EXPECT_EQ(file.headers["content-type"], "application/octet-stream");
  EXPECT_EQ(file.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(file.headers["content-disposition"],
            "attachment; filename=\"Testbericht M__rz.pdf\"; "
            "filename*=UTF-8''Testbericht%20M%C3%A4rz.pdf");

  auto audit = controller.api(
      "GET", "/api/v1/audit?object_type=release&object_id=" + std::to_string(release) +
                 "&action=release.attachment_add");
  ASSERT_EQ(audit.status, 200) << audit.text;
  ASSERT_EQ(audit.body["items"].size(), 1u);
  EXPECT_EQ(audit.body["items"][0]["actor"], "admin");
}

TEST_F(AttachmentsTest, TheSameBytesAreKeptOnce) {
  ASSERT_EQ(attach(release, "?name=a.txt", "same bytes", "text/plain").status, 201);
  auto other = controller.api("POST", "/api/v1/releases", json{{"title", "second"}});
  ASSERT_EQ(other.status, 201);
  ASSERT_EQ(attach(other.body.value("id", 0), "?name=b.txt", "same bytes", "").status, 201);
  EXPECT_EQ(stored_files(), 1u);
}

TEST_F(AttachmentsTest, BadUploadsAreRefusedAndNothingIsRecorded) {
  ASSERT_EQ(attach(release, "?name=kept.pdf", "first").status, 201);
  struct Case {
    std::int64_t release;
    std::string query;
    std::string bytes;
    std::string content_type;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {release + 1000, "?name=x.pdf", "x", "application/pdf", 404, "release.not_found"},
      {release, "", "x", "application/pdf", 400, "protocol.missing_field"},
      {release, "?name=..%2Fetc%2Fpasswd", "x", "application/pdf", 400, "attachment.invalid_name"},
      {release, "?name=a%0Ab.txt", "x", "application/pdf", 400, "attachment.invalid_name"},
      {release, "?name=x.pdf", "x", "text/<script>", 400, "attachment.invalid_media_type"},
      {release, "?name=empty.pdf", "", "application/pdf", 400, "attachment.empty"},
      // Refused by the server while streaming (request.too_large) or by the store after it
      // (attachment.too_large), depending on how much arrived with the header.
      {release, "?name=big.pdf", std::string(4097, 'b'), "application/pdf", 413, ".too_large"},
      {release, "?name=bigger.pdf", std::string(256 * 1024, 'b'), "application/pdf", 413,
       ".too_large"},
      {release, "?name=kept.pdf", "other bytes", "application/pdf", 409, "attachment.exists"},
  };
  for (const auto& c : cases) {
    auto r = attach(c.release, c.query, c.bytes, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.query << ": " << r.text;
    if (c.code.starts_with(".")) {
      EXPECT_TRUE(r.body["error"].value("code", "").ends_with(c.code)) << c.query << ": " << r.text;
    } else {
      EXPECT_EQ(r.body["error"].value("code", ""), c.code) << c.query << ": " << r.text;
    }
  }
  EXPECT_EQ(listed(), 1u);
  EXPECT_EQ(stored_files(), 1u) << "refused uploads leave no bytes behind";
  auto bad_id =
      controller.api("GET", "/api/v1/releases/" + std::to_string(release) + "/attachments/999");
  EXPECT_EQ(bad_id.status, 404) << bad_id.text;
  EXPECT_EQ(bad_id.body["error"].value("code", ""), "attachment.not_found");
  auto not_a_number =
      controller.api("GET", "/api/v1/releases/" + std::to_string(release) + "/attachments/x");
  EXPECT_EQ(not_a_number.status, 400) << not_a_number.text;
  // Nothing was left in the upload staging directory.
  EXPECT_TRUE(std::filesystem::is_empty(controller.data_dir() / "uploads"));
}

}  // namespace
}  // namespace relman::test
