// Rewriting SQLite-style placeholders (`?`, `?N`) into PostgreSQL's `$N`, and refusing SQL that
// would not mean the same on both databases.
#include "controller/store/sql/placeholders.hpp"

#include <gtest/gtest.h>

namespace relman::controller::sql {
namespace {

std::string numbered(std::string_view sql) {
  auto r = number_placeholders(sql);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? r->text : std::string();
}

TEST(NumberPlaceholders, CountsPlainQuestionMarks) {
  auto r = number_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(r->parameters, 3);
}

TEST(NumberPlaceholders, KeepsExplicitNumbers) {
  auto r =
      number_placeholders("INSERT INTO h VALUES(?1, 1, ?2, ?2) ON CONFLICT DO UPDATE SET x = ?2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "INSERT INTO h VALUES($1, 1, $2, $2) ON CONFLICT DO UPDATE SET x = $2");
  EXPECT_EQ(r->parameters, 2);
}

TEST(NumberPlaceholders, LeavesQuotedTextAndCommentsAlone) {
  EXPECT_EQ(numbered("SELECT '?', 'it''s ?', \"a?b\", ? -- why?\n"),
            "SELECT '?', 'it''s ?', \"a?b\", $1 -- why?\n");
  EXPECT_EQ(numbered("SELECT /* ? */ ?"), "SELECT /* ? */ $1");
  EXPECT_EQ(numbered("SELECT E'\\' ?', ?"), "SELECT E'\\' ?', $1");
  EXPECT_EQ(numbered("CREATE FUNCTION f() RETURNS int AS $body$ SELECT ? $body$ LANGUAGE sql"),
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT ? $body$ LANGUAGE sql");
  EXPECT_EQ(numbered("SELECT ?; "), "SELECT $1; ");
}

TEST(NumberPlaceholders, RefusesWhatWouldDifferBetweenDatabases) {
  for (std::string_view bad :
       {"SELECT $1", "SELECT ?0", "SELECT ?99999", "SELECT 1; SELECT 2", "SELECT 'open",
        "SELECT \"open", "SELECT /* open", "SELECT $q$ open"}) {
    auto r = number_placeholders(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "store.query_failed") << bad;
  }
}

}  // namespace
}  // namespace relman::controller::sql
