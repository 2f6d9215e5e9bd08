// Attachment records in SqlStore on each backend: a name once per release, unknown releases
// refused with nothing written, text kept verbatim, and an audit entry with each.
#include <gtest/gtest.h>

#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/store_fixture.hpp"

namespace relman::controller {
namespace {

class SqlStoreAttachmentTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto r = store->create_release("with files", "", "alice");
    ASSERT_TRUE(r) << r.error().describe();
    release = r->id;
  }

  AttachmentRecord draft(const std::string& name, char hash = 'a') {
    AttachmentRecord a;
    a.release_id = release;
    a.name = name;
    a.sha256 = std::string(64, hash);
    a.size = 42;
    a.media_type = "application/pdf";
    return a;
  }

  std::int64_t audit_count() {
    auto entries = store->list_audit(AuditQuery{}, Page{500, 0});
    EXPECT_TRUE(entries);
    return entries ? static_cast<std::int64_t>(entries->size()) : -1;
  }

  std::int64_t release = 0;
};

TEST_P(SqlStoreAttachmentTest, AddsListsAndAudits) {
  const std::string tricky = "x'); DELETE FROM releases; --.pdf";
  auto a = store->add_attachment(draft(tricky), "bob");
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_GT(a->id, 0);
  EXPECT_EQ(a->name, tricky);
  EXPECT_EQ(a->added_by, "bob");
  EXPECT_GT(a->added_at, 0);
  auto b = store->add_attachment(draft("second.txt", 'b'), "bob");
  ASSERT_TRUE(b);

  auto list = store->list_attachments(release, Page{10, 0});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, tricky);
  EXPECT_EQ((*list)[1].sha256, std::string(64, 'b'));
  auto got = store->get_attachment(release, a->id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->media_type, "application/pdf");
  auto by_name = store->find_attachment(release, tricky);
  ASSERT_TRUE(by_name && *by_name);
  EXPECT_EQ((*by_name)->id, a->id);
  auto no_name = store->find_attachment(release, "x.pdf");
  ASSERT_TRUE(no_name);
  EXPECT_FALSE(*no_name);
  auto other = store->get_attachment(release + 1, a->id);
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other) << "an attachment is found only under its own release";

  auto entries = store->list_audit(
      AuditQuery{"", "release", std::to_string(release), "release.attachment_add"}, Page{10, 0});
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_NE(entries->back().detail_json.find("DELETE FROM releases"), std::string::npos);
}

TEST_P(SqlStoreAttachmentTest, ANameIsUsedOncePerRelease) {
  ASSERT_TRUE(store->add_attachment(draft("report.pdf"), "bob"));
  const auto before = audit_count();
  auto again = store->add_attachment(draft("report.pdf", 'c'), "carol");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "attachment.exists");
  EXPECT_EQ(audit_count(), before) << "a refused attachment writes nothing";
  auto list = store->list_attachments(release, Page{10, 0});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
  // The same name on another release is fine.
  auto other = store->create_release("other", "", "alice");
  ASSERT_TRUE(other);
  auto d = draft("report.pdf");
  d.release_id = other->id;
  EXPECT_TRUE(store->add_attachment(d, "bob"));
}

TEST_P(SqlStoreAttachmentTest, AnUnknownReleaseIsRefused) {
  const auto before = audit_count();
  auto d = draft("x.txt");
  d.release_id = release + 100;
  auto r = store->add_attachment(d, "bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "release.not_found");
  EXPECT_EQ(audit_count(), before);
}

RELMAN_INSTANTIATE_BACKENDS(SqlStoreAttachmentTest);

}  // namespace
}  // namespace relman::controller
