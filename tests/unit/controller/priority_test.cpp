#include "controller/releases/priority.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relman::controller {
namespace {

using nlohmann::json;
using R = Rating;

json full_matrix(int value) {
  json m = json::object();
  for (auto i : kAllRatings) {
    for (auto u : kAllRatings) m[std::string(rating_name(i))][std::string(rating_name(u))] = value;
  }
  return m;
}

void expect_refused(const json& doc, const std::string& code, const std::string& context) {
  auto m = parse_priority_matrix(doc);
  ASSERT_FALSE(m) << doc.dump();
  EXPECT_EQ(m.error().code, code) << doc.dump();
  EXPECT_EQ(m.error().context, context) << doc.dump();
}

TEST(PriorityMatrix, DefaultRanksCriticalAndUrgentFirst) {
  auto m = default_priority_matrix();
  EXPECT_EQ(m.priority(R::critical, R::critical), 1);
  EXPECT_EQ(m.priority(R::high, R::critical), 1);
  EXPECT_EQ(m.priority(R::critical, R::high), 1);
  EXPECT_EQ(m.priority(R::high, R::high), 2);
  EXPECT_EQ(m.priority(R::medium, R::medium), 4);
  EXPECT_EQ(m.priority(R::low, R::critical), 3);
  EXPECT_EQ(m.priority(R::critical, R::low), 3);
  EXPECT_EQ(m.priority(R::low, R::low), 5);
  // More impact or more urgency never lowers the priority (a smaller number is more urgent).
  for (std::size_t i = 0; i < kAllRatings.size(); ++i) {
    for (std::size_t u = 0; u + 1 < kAllRatings.size(); ++u) {
      EXPECT_GE(m.priority(kAllRatings[i], kAllRatings[u]),
                m.priority(kAllRatings[i], kAllRatings[u + 1]));
      EXPECT_GE(m.priority(kAllRatings[u], kAllRatings[i]),
                m.priority(kAllRatings[u + 1], kAllRatings[i]));
    }
  }
}

TEST(PriorityMatrix, JsonRoundTripKeepsEveryCell) {
  auto doc = to_json(default_priority_matrix());
  EXPECT_EQ(doc["critical"]["low"], 3);
  EXPECT_EQ(doc["low"]["critical"], 3);
  auto back = parse_priority_matrix(doc);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(*back, default_priority_matrix());
}

TEST(PriorityMatrix, LoadsAConfiguredMatrix) {
  json doc = full_matrix(3);
  doc["high"]["low"] = 2;
  auto m = parse_priority_matrix(doc);
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->priority(R::high, R::low), 2);
  EXPECT_EQ(m->priority(R::low, R::high), 3);
  EXPECT_EQ(parse_priority_matrix(full_matrix(1))->priority(R::low, R::low), 1);
  EXPECT_EQ(parse_priority_matrix(full_matrix(5))->priority(R::critical, R::critical), 5);
}

TEST(PriorityMatrix, RefusesMissingUnknownWrongTypedAndOutOfRangeCells) {
  json doc = full_matrix(3);
  doc.erase("medium");
  expect_refused(doc, "protocol.missing_field", "priority_matrix.medium");

  doc = full_matrix(3);
  doc["high"].erase("critical");
  expect_refused(doc, "protocol.missing_field", "priority_matrix.high.critical");

  doc = full_matrix(3);
  doc["severe"] = doc["high"];
  expect_refused(doc, "protocol.unknown_field", "priority_matrix.severe");

  doc = full_matrix(3);
  doc["low"]["urgent"] = 1;
  expect_refused(doc, "protocol.unknown_field", "priority_matrix.low.urgent");

  for (json bad : {json(0), json(6), json(-1)}) {
    doc = full_matrix(3);
    doc["critical"]["medium"] = bad;
    expect_refused(doc, "protocol.out_of_range", "priority_matrix.critical.medium");
  }
  for (json bad : {json("1"), json(1.5), json(true), json::array({1})}) {
    doc = full_matrix(3);
    doc["low"]["low"] = bad;
    expect_refused(doc, "protocol.wrong_type", "priority_matrix.low.low");
  }
  doc = full_matrix(3);
  doc["high"] = json::array();
  expect_refused(doc, "protocol.wrong_type", "priority_matrix.high");
  expect_refused(json::array(), "protocol.not_an_object", "priority_matrix");
  expect_refused(json::object(), "protocol.missing_field", "priority_matrix.low");
}

TEST(PriorityMatrix, NamesTheCellUnderTheGivenPrefix) {
  json doc = full_matrix(3);
  doc["low"]["high"] = 9;
  auto m = parse_priority_matrix(doc, "releases.priority_matrix");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().context, "releases.priority_matrix.low.high");
}

TEST(Rating, NamesRoundTripAndUnknownIsRefused) {
  for (auto r : kAllRatings) EXPECT_EQ(parse_rating(rating_name(r)), r);
  EXPECT_EQ(parse_rating("Critical"), std::nullopt);
  EXPECT_EQ(parse_rating("urgent"), std::nullopt);
  EXPECT_EQ(parse_rating(""), std::nullopt);
}

}  // namespace
}  // namespace relman::controller
