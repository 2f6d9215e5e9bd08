#include "controller/rollout/windows.hpp"

#include <algorithm>
#include <chrono>

#include <date/tz.h>

namespace relman::controller::rollout {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using SysSeconds = date::sys_time<seconds>;

constexpr std::int64_t kDay = 24 * 3600;
constexpr std::int64_t kChunkSeconds = 8 * kDay;

Error window_error(const std::string& where, const std::string& message) {
  return Error{"plan.invalid_window", message, where};
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Lists were sorted by make(), so lookups are binary searches.
bool applies(const std::vector<std::string>& hosts, const std::vector<std::string>& groups,
             const HostRef& host) {
  if (hosts.empty() && groups.empty()) return true;
  if (std::binary_search(hosts.begin(), hosts.end(), host.id)) return true;
  return std::any_of(host.groups.begin(), host.groups.end(), [&](const std::string& g) {
    return std::binary_search(groups.begin(), groups.end(), g);
  });
}

// Sorts and joins overlapping or touching intervals.
void merge(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) {
    return a.start < b.start || (a.start == b.start && a.end < b.end);
  });
  std::vector<Interval> out;
  for (const auto& i : v) {
    if (!out.empty() && i.start <= out.back().end) {
      out.back().end = std::max(out.back().end, i.end);
    } else {
      out.push_back(i);
    }
  }
  v = std::move(out);
}

// `allowed` minus `blocked`; both sorted and merged.
std::vector<Interval> subtract(const std::vector<Interval>& allowed,
                               const std::vector<Interval>& blocked) {
  std::vector<Interval> out;
  for (Interval a : allowed) {
    for (const auto& b : blocked) {
      if (b.end <= a.start || b.start >= a.end) continue;
      if (b.start > a.start) out.push_back({a.start, b.start});
      a.start = std::max(a.start, b.end);
      if (a.start >= a.end) break;
    }
    if (a.start < a.end) out.push_back(a);
  }
  return out;
}

// Occurrences of a weekly window that overlap [from, to), clipped to it. A local start time that
// does not exist (spring forward) maps to the moment the clocks jump, an ambiguous one (fall
// back) to its first occurrence; an ambiguous end maps to its last occurrence. So the window is
// open whenever the wall clock shows a time inside it.
void add_occurrences(const MaintenanceWindow& w, const date::time_zone& zone, std::int64_t from,
                     std::int64_t to, std::vector<Interval>& out) {
  auto local_day = [&](std::int64_t t) {
    return date::floor<date::days>(zone.to_local(SysSeconds{seconds{t}}));
  };
  const auto first = local_day(from) - date::days{1};  // a window from the day before may be open
  const auto last = local_day(to);
  for (auto day = first; day <= last; day += date::days{1}) {
    unsigned iso = date::weekday{day}.iso_encoding();  // 1 = Monday ... 7 = Sunday
    if ((w.days & (1u << (iso - 1))) == 0) continue;
    auto open = day + minutes{w.start_minute};
    auto close = day + minutes{w.end_minute};
    if (w.end_minute <= w.start_minute) close += date::days{1};
    std::int64_t s =
        zone.to_sys(date::local_seconds{open}, date::choose::earliest).time_since_epoch().count();
    std::int64_t e =
        zone.to_sys(date::local_seconds{close}, date::choose::latest).time_since_epoch().count();
    s = std::max(s, from);
    e = std::min(e, to);
    if (s < e) out.push_back({s, e});
  }
}

}  // namespace

Result<Schedule> Schedule::make(std::vector<MaintenanceWindow> maintenance,
                                std::vector<BlackoutWindow> blackouts) {
  Schedule s;
  for (std::size_t i = 0; i < maintenance.size(); ++i) {
    auto& w = maintenance[i];
    const std::string where = "windows.maintenance[" + std::to_string(i) + "]";
    if (w.days == 0 || w.days > 127) {
      return fail(window_error(where + ".days", "a maintenance window needs at least one day"));
    }
    if (w.start_minute < 0 || w.start_minute > 1439) {
      return fail(window_error(where + ".start", "a window opens between 00:00 and 23:59"));
    }
    if (w.end_minute < 0 || w.end_minute > 1440) {
      return fail(window_error(where + ".end", "a window closes between 00:00 and 24:00"));
    }
    if (w.end_minute == w.start_minute) {
      return fail(window_error(where + ".end",
                               "a window's start and end are equal; for a whole day write "
                               "00:00 to 24:00"));
    }
    const date::time_zone* zone = nullptr;
    try {
      zone = date::locate_zone(w.time_zone);
      // Loads the zone's rules now, so a broken zone file is refused here and not later.
      (void)zone->get_info(SysSeconds{seconds{0}});
    } catch (const std::exception&) {
      zone = nullptr;
    }
    if (!zone) {
      return fail(window_error(where + ".time_zone",
                               "unknown time zone \"" + w.time_zone +
                                   "\" (use an IANA name such as Europe/Berlin or UTC)"));
    }
    sort_unique(w.hosts);
    sort_unique(w.groups);
    s.maintenance_.push_back({std::move(w), zone});
  }
  for (std::size_t i = 0; i < blackouts.size(); ++i) {
    auto& b = blackouts[i];
    const std::string where = "windows.blackouts[" + std::to_string(i) + "]";
    if (b.start < 0 || b.start > kMaxScheduleTime) {
      return fail(window_error(where + ".start", "a blackout starts between 1970 and 9999"));
    }
    if (b.end <= b.start || b.end > kMaxScheduleTime) {
      return fail(window_error(where + ".end", "a blackout ends after it starts, before 10000"));
    }
    sort_unique(b.hosts);
    sort_unique(b.groups);
    s.blackouts_.push_back(std::move(b));
  }
  return s;
}

std::vector<Interval> Schedule::allowed_between(const HostRef& host, std::int64_t from,
                                                std::int64_t to) const {
  from = std::clamp<std::int64_t>(from, 0, kMaxScheduleTime);
  to = std::clamp<std::int64_t>(to, 0, kMaxScheduleTime);
  if (from >= to) return {};
  std::vector<Interval> open;
  bool has_windows = false;
  for (const auto& m : maintenance_) {
    if (!applies(m.window.hosts, m.window.groups, host)) continue;
    has_windows = true;
    add_occurrences(m.window, *m.zone, from, to, open);
  }
  if (!has_windows) open.push_back({from, to});
  merge(open);
  std::vector<Interval> blocked;
  for (const auto& b : blackouts_) {
    if (!applies(b.hosts, b.groups, host)) continue;
    if (b.end > from && b.start < to) blocked.push_back({b.start, b.end});
  }
  merge(blocked);
  return subtract(open, blocked);
}

bool Schedule::allowed_at(const HostRef& host, std::int64_t t) const {
  return !allowed_between(host, t, t + 1).empty();
}

std::optional<Interval> Schedule::next_allowed(const HostRef& host, std::int64_t t) const {
  if (t >= kMaxScheduleTime) return std::nullopt;
  const std::int64_t horizon = std::min(t + kScheduleHorizonSeconds, kMaxScheduleTime);
  std::optional<Interval> found;
  for (std::int64_t from = t; from < horizon; from += kChunkSeconds) {
    const std::int64_t to = std::min(from + kChunkSeconds, horizon);
    auto chunk = allowed_between(host, from, to);
    if (!found) {
      if (chunk.empty()) continue;
      found = chunk.front();
    } else if (!chunk.empty() && chunk.front().start == found->end) {
      found->end = chunk.front().end;  // the interval runs on across the chunk boundary
    } else {
      return found;
    }
    if (found->end < to || chunk.size() > 1) return found;
  }
  return found;
}

}  // namespace relman::controller::rollout
