// When a host may start a deployment: recurring weekly maintenance windows in an IANA time zone
// (per host or group; they may cross midnight) and absolute blackout windows in UTC (global, per
// host or group). A host with no maintenance window may start at any time outside blackouts;
// a host with some may start only inside one of them, and never inside a blackout. The rules,
// with their daylight-saving behaviour, are in docs/architecture.md ("Planner").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace date {
class time_zone;
}

namespace relman::controller::rollout {

// [start, end) in unix seconds.
struct Interval {
  std::int64_t start = 0;
  std::int64_t end = 0;
  bool operator==(const Interval&) const = default;
};

// Bit of MaintenanceWindow::days for a weekday: Monday is bit 0, Sunday bit 6.
enum WeekdayBit : std::uint8_t {
  kMonday = 1,
  kTuesday = 2,
  kWednesday = 4,
  kThursday = 8,
  kFriday = 16,
  kSaturday = 32,
  kSunday = 64,
};

struct MaintenanceWindow {
  std::string name;
  std::uint8_t days = 0;           // WeekdayBit set: the local days on which the window opens
  int start_minute = 0;            // local wall-clock minute of the day it opens, 0..1439
  int end_minute = 0;              // local minute it closes, 0..1440; <= start_minute: the next day
  std::string time_zone;           // IANA name, e.g. "Europe/Berlin"
  std::vector<std::string> hosts;  // applies to these hosts ...
  std::vector<std::string> groups;  // ... and to members of these groups; both empty: to all
};

struct BlackoutWindow {
  std::string name;
  std::int64_t start = 0;  // unix seconds (UTC), inclusive
  std::int64_t end = 0;    // exclusive
  std::vector<std::string> hosts;
  std::vector<std::string> groups;  // both empty: every host
};

struct HostRef {
  const std::string& id;
  const std::vector<std::string>& groups;
};

// How far ahead next_allowed() looks; an allowed interval's end is cut there too.
inline constexpr std::int64_t kScheduleHorizonSeconds = 366LL * 24 * 3600;
inline constexpr std::int64_t kMaxScheduleTime = 253402300799;  // 9999-12-31T23:59:59Z

class Schedule {
 public:
  // plan.invalid_window (context "windows.maintenance[i].field" or "windows.blackouts[i].field"):
  // no days, a minute out of range, start == end, an unknown time zone, a blackout whose end is
  // not after its start or that lies outside 1970..9999.
  static Result<Schedule> make(std::vector<MaintenanceWindow> maintenance,
                               std::vector<BlackoutWindow> blackouts);

  // Whether the host may start at `t`.
  bool allowed_at(const HostRef& host, std::int64_t t) const;

  // The first allowed interval that ends after `t`, with its start raised to `t`: start is the
  // next allowed time, end the time the host must stop starting. Nullopt when nothing is allowed
  // within kScheduleHorizonSeconds of `t`; the end is cut at that horizon.
  std::optional<Interval> next_allowed(const HostRef& host, std::int64_t t) const;

  // The allowed intervals within [from, to), sorted, disjoint and not touching.
  std::vector<Interval> allowed_between(const HostRef& host, std::int64_t from,
                                        std::int64_t to) const;

 private:
  struct Maintenance {
    MaintenanceWindow window;
    const date::time_zone* zone = nullptr;
  };
  Schedule() = default;

  std::vector<Maintenance> maintenance_;
  std::vector<BlackoutWindow> blackouts_;
};

}  // namespace relman::controller::rollout
