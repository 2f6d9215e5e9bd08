#include "controller/rollout/windows.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace relman::controller::rollout {
namespace {

// Unix seconds of a UTC date and time.
std::int64_t utc(int y, unsigned m, unsigned d, int hh, int mm = 0) {
  auto day =
      std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
         hh * 3600 + mm * 60;
}

constexpr std::int64_t kHour = 3600;

const std::string kWeb1 = "web-1";
const std::string kDb1 = "db-1";
const std::vector<std::string> kWebGroups = {"web"};
const std::vector<std::string> kNoGroups = {};
const HostRef kWeb{kWeb1, kWebGroups};
const HostRef kDb{kDb1, kNoGroups};

MaintenanceWindow berlin(std::uint8_t days, int start, int end) {
  MaintenanceWindow w;
  w.name = "nightly";
  w.days = days;
  w.start_minute = start;
  w.end_minute = end;
  w.time_zone = "Europe/Berlin";
  return w;
}

Schedule make(std::vector<MaintenanceWindow> m, std::vector<BlackoutWindow> b = {}) {
  auto s = Schedule::make(std::move(m), std::move(b));
  EXPECT_TRUE(s.has_value()) << s.error().describe();
  return std::move(*s);
}

TEST(Windows, AHostWithoutWindowsMayAlwaysStart) {
  auto s = make({});
  EXPECT_TRUE(s.allowed_at(kWeb, utc(2026, 1, 14, 12)));
  auto next = s.next_allowed(kWeb, utc(2026, 1, 14, 12));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->start, utc(2026, 1, 14, 12));
  EXPECT_EQ(next->end, utc(2026, 1, 14, 12) + kScheduleHorizonSeconds);
}

TEST(Windows, AWindowAcrossMidnightInWinterTime) {
  // Wednesdays 22:00-04:00 Berlin (UTC+1 in January): 21:00 to 03:00 UTC.
  auto s = make({berlin(kWednesday, 22 * 60, 4 * 60)});
  auto got = s.allowed_between(kWeb, utc(2026, 1, 12, 0), utc(2026, 1, 19, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 1, 14, 21), utc(2026, 1, 15, 3)}));
  EXPECT_FALSE(s.allowed_at(kWeb, utc(2026, 1, 14, 20, 59)));
  EXPECT_TRUE(s.allowed_at(kWeb, utc(2026, 1, 15, 2, 59)));
  EXPECT_FALSE(s.allowed_at(kWeb, utc(2026, 1, 15, 3)));
  // Asked on the Monday before, the next start is Wednesday 21:00 UTC.
  auto next = s.next_allowed(kWeb, utc(2026, 1, 12, 9));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, (Interval{utc(2026, 1, 14, 21), utc(2026, 1, 15, 3)}));
  // Asked inside the window, it starts now.
  next = s.next_allowed(kWeb, utc(2026, 1, 15, 1));
  EXPECT_EQ(*next, (Interval{utc(2026, 1, 15, 1), utc(2026, 1, 15, 3)}));
}

TEST(Windows, LocalTimeStaysTheSameAcrossTheSpringChange) {
  // Sundays 22:00-23:00 Berlin: 21:00 UTC on 22 March (CET), 20:00 UTC on 29 March (CEST).
  auto s = make({berlin(kSunday, 22 * 60, 23 * 60)});
  auto got = s.allowed_between(kWeb, utc(2026, 3, 20, 0), utc(2026, 4, 1, 0));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 3, 22, 21), utc(2026, 3, 22, 22)}));
  EXPECT_EQ(got[1], (Interval{utc(2026, 3, 29, 20), utc(2026, 3, 29, 21)}));
}

TEST(Windows, AStartInTheSkippedHourOpensWhenTheClocksJump) {
  // 29 March 2026, Berlin: 02:00 CET becomes 03:00 CEST (01:00 UTC). A window 02:30-03:30 opens
  // at the jump and closes at 03:30 CEST (01:30 UTC): half an hour that night.
  auto s = make({berlin(kSunday, 2 * 60 + 30, 3 * 60 + 30)});
  auto got = s.allowed_between(kWeb, utc(2026, 3, 28, 0), utc(2026, 3, 30, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)}));
  // A week earlier, in winter time, the same window is a full hour.
  got = s.allowed_between(kWeb, utc(2026, 3, 21, 0), utc(2026, 3, 23, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 3, 22, 1, 30), utc(2026, 3, 22, 2, 30)}));
}

TEST(Windows, AnAmbiguousStartTakesItsFirstOccurrenceAtTheAutumnChange) {
  // 25 October 2026, Berlin: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens twice.
  // The window 02:30-03:30 opens at the first 02:30 (00:30 UTC) and closes at 03:30 CET
  // (02:30 UTC): two hours that night, because the wall clock shows 02:30-03:30 that long.
  auto s = make({berlin(kSunday, 2 * 60 + 30, 3 * 60 + 30)});
  auto got = s.allowed_between(kWeb, utc(2026, 10, 24, 0), utc(2026, 10, 26, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30)}));
}

TEST(Windows, AnAmbiguousEndTakesItsLastOccurrence) {
  // 01:00-02:30 on 25 October 2026: 01:00 CEST (23:00 UTC the day before) to the second 02:30
  // (02:30 CET = 01:30 UTC).
  auto s = make({berlin(kSunday, 60, 2 * 60 + 30)});
  auto got = s.allowed_between(kWeb, utc(2026, 10, 24, 0), utc(2026, 10, 26, 0));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 10, 24, 23), utc(2026, 10, 25, 1, 30)}));
}

TEST(Windows, WindowsApplyToTheirHostsAndGroupsOnly) {
  auto for_web = berlin(kWednesday, 22 * 60, 23 * 60);
  for_web.groups = {"web"};
  auto for_other = berlin(kMonday, 22 * 60, 23 * 60);
  for_other.hosts = {"db-2"};
  auto s = make({for_web, for_other});
  // web-1 is in group web: only Wednesday.
  EXPECT_FALSE(s.allowed_at(kWeb, utc(2026, 1, 12, 21, 30)));
  EXPECT_TRUE(s.allowed_at(kWeb, utc(2026, 1, 14, 21, 30)));
  // db-1 matches no window, so it may start at any time.
  EXPECT_TRUE(s.allowed_at(kDb, utc(2026, 1, 13, 9)));
}

TEST(Windows, BlackoutsCutMaintenanceWindows) {
  BlackoutWindow freeze;
  freeze.name = "year-end freeze";
  freeze.start = utc(2026, 1, 14, 22);
  freeze.end = utc(2026, 1, 22, 3);
  auto s = make({berlin(kWednesday, 22 * 60, 4 * 60)}, {freeze});
  // 14 January: only 21:00-22:00 UTC is left; 21 January is blacked out entirely.
  auto got = s.allowed_between(kWeb, utc(2026, 1, 12, 0), utc(2026, 1, 30, 0));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Interval{utc(2026, 1, 14, 21), utc(2026, 1, 14, 22)}));
  EXPECT_EQ(got[1], (Interval{utc(2026, 1, 28, 21), utc(2026, 1, 29, 3)}));
  auto next = s.next_allowed(kWeb, utc(2026, 1, 14, 22));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->start, utc(2026, 1, 28, 21));
}

TEST(Windows, AScopedBlackoutLeavesOtherHostsAlone) {
  BlackoutWindow b;
  b.start = utc(2026, 1, 1, 0);
  b.end = utc(2026, 2, 1, 0);
  b.groups = {"web"};
  auto s = make({}, {b});
  EXPECT_FALSE(s.allowed_at(kWeb, utc(2026, 1, 10, 0)));
  EXPECT_TRUE(s.allowed_at(kDb, utc(2026, 1, 10, 0)));
  auto next = s.next_allowed(kWeb, utc(2026, 1, 10, 0));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->start, utc(2026, 2, 1, 0));
}

TEST(Windows, AnIntervalRunsOnAcrossTheSearchChunks) {
  // Every day, all day, in Berlin: one interval from now to the horizon.
  auto s = make({berlin(127, 0, 24 * 60)});
  auto next = s.next_allowed(kWeb, utc(2026, 1, 1, 0));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->start, utc(2026, 1, 1, 0));
  EXPECT_EQ(next->end, utc(2026, 1, 1, 0) + kScheduleHorizonSeconds);
}

TEST(Windows, NoAllowedTimeWithinTheHorizonIsNothing) {
  BlackoutWindow b;
  b.start = utc(2026, 1, 1, 0);
  b.end = utc(2027, 6, 1, 0);
  auto s = make({}, {b});
  EXPECT_FALSE(s.next_allowed(kWeb, utc(2026, 1, 1, 0)).has_value());
}

void expect_invalid(MaintenanceWindow w, const std::string& context) {
  auto s = Schedule::make({std::move(w)}, {});
  ASSERT_FALSE(s.has_value()) << context;
  EXPECT_EQ(s.error().code, "plan.invalid_window");
  EXPECT_EQ(s.error().context, context);
}

TEST(Windows, RefusesBadMaintenanceWindows) {
  expect_invalid(berlin(0, 60, 120), "windows.maintenance[0].days");
  expect_invalid(berlin(kMonday, -1, 120), "windows.maintenance[0].start");
  expect_invalid(berlin(kMonday, 1440, 120), "windows.maintenance[0].start");
  expect_invalid(berlin(kMonday, 60, 1441), "windows.maintenance[0].end");
  expect_invalid(berlin(kMonday, 60, 60), "windows.maintenance[0].end");
  auto w = berlin(kMonday, 60, 120);
  w.time_zone = "Mars/Olympus_Mons";
  expect_invalid(w, "windows.maintenance[0].time_zone");
  w.time_zone = "../../etc/passwd";
  expect_invalid(w, "windows.maintenance[0].time_zone");
}

TEST(Windows, RefusesBadBlackouts) {
  BlackoutWindow b;
  b.start = 100;
  b.end = 100;
  auto s = Schedule::make({}, {b});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, "plan.invalid_window");
  EXPECT_EQ(s.error().context, "windows.blackouts[0].end");
  b.start = -5;
  s = Schedule::make({}, {b});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().context, "windows.blackouts[0].start");
}

}  // namespace
}  // namespace relman::controller::rollout
