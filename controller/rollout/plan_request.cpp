#include "controller/rollout/plan_request.hpp"

#include <algorithm>
#include <array>

#include "protocol/json_reader.hpp"

namespace relman::controller::rollout {
namespace {

using nlohmann::json;
using protocol::JsonReader;

constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

// A list of ids under `key`: strings of 1..kMaxIdLength bytes.
std::vector<std::string> read_ids(JsonReader& r, std::string_view key, bool required) {
  const json* list =
      required ? r.array(key, kMaxRequestHosts) : r.optional_array(key, kMaxRequestHosts);
  std::vector<std::string> ids;
  if (!list) return ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    const std::string item = std::string(key) + "[" + std::to_string(i) + "]";
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > protocol::kMaxIdLength) {
      r.reject(item, "protocol.wrong_type",
               "must be a non-empty string of at most " + std::to_string(protocol::kMaxIdLength) +
                   " bytes");
      return {};
    }
    ids.push_back(v.get<std::string>());
  }
  return ids;
}

// "HH:MM" -> minutes after midnight; "24:00" only where `allow_24`.
std::optional<int> read_clock(JsonReader& r, std::string_view key, bool allow_24) {
  std::string text = r.string(key, 5);
  if (!r.ok()) return std::nullopt;
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() == 5 && digit(0) && digit(1) && text[2] == ':' && digit(3) && digit(4)) {
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (m < 60 && (h < 24 || (allow_24 && h == 24 && m == 0))) return h * 60 + m;
  }
  r.reject(key, "protocol.invalid_value",
           allow_24 ? "must be a time of day HH:MM between 00:00 and 24:00"
                    : "must be a time of day HH:MM between 00:00 and 23:59");
  return std::nullopt;
}

void read_rules(JsonReader& r, WaveRules& rules) {
  rules.max_concurrent = r.optional_integer("max_concurrent", 1, INT32_MAX);
  rules.success_threshold_percent = r.optional_integer("success_threshold_percent", 1, 100)
                                        .value_or(rules.success_threshold_percent);
  rules.error_threshold_percent =
      r.optional_integer("error_threshold_percent", 0, 100).value_or(rules.error_threshold_percent);
}

// count or percent; nullopt (with an error recorded when `required`) if neither.
std::optional<WaveSize> read_size(JsonReader& r, bool required, const std::string& where) {
  auto count = r.optional_integer("count", 1, INT32_MAX);
  auto percent = r.optional_integer("percent", 1, 100);
  if (count && percent) {
    r.reject("percent", "plan.invalid_policy", "give count or percent, not both");
    return std::nullopt;
  }
  if (count) return WaveSize{WaveSize::Unit::hosts, *count};
  if (percent) return WaveSize{WaveSize::Unit::percent, *percent};
  if (required && r.ok()) {
    r.reject("count", "protocol.missing_field", where + " needs count or percent");
  }
  return std::nullopt;
}

Result<void> read_policy(const json& body, WavePolicy& policy) {
  JsonReader r(body, "policy");
  if (const json* c = r.optional_object("canary")) {
    JsonReader cr(*c, "policy.canary");
    policy.canary_size = read_size(cr, false, "the canary");
    policy.canary_hosts = read_ids(cr, "hosts", false);
    if (cr.ok() && policy.canary_size && !policy.canary_hosts.empty()) {
      cr.reject("hosts", "plan.invalid_policy",
                "give the canary count, percent or hosts, only one of them");
    }
    if (cr.ok() && !policy.canary_size && policy.canary_hosts.empty()) {
      cr.reject("count", "protocol.missing_field", "the canary needs count, percent or hosts");
    }
    read_rules(cr, policy.canary_rules);
    RELMAN_CHECK(cr.finish_strict());
  }
  if (const json* b = r.object("batches")) {
    JsonReader br(*b, "policy.batches");
    if (auto size = read_size(br, true, "batches")) policy.batch_size = *size;
    read_rules(br, policy.batch_rules);
    RELMAN_CHECK(br.finish_strict());
  }
  RELMAN_CHECK(r.finish_strict());
  return validate_policy(policy);
}

Result<MaintenanceWindow> read_maintenance(const json& item, const std::string& where) {
  JsonReader r(item, where);
  MaintenanceWindow w;
  w.name = r.optional_string("name").value_or("");
  if (const json* days = r.array("days", kDayNames.size())) {
    for (std::size_t i = 0; i < days->size(); ++i) {
      const auto& d = (*days)[i];
      const std::string key = "days[" + std::to_string(i) + "]";
      auto it = d.is_string()
                    ? std::find(kDayNames.begin(), kDayNames.end(), d.get_ref<const std::string&>())
                    : kDayNames.end();
      if (it == kDayNames.end()) {
        r.reject(key, "protocol.invalid_value", "must be one of mon, tue, wed, thu, fri, sat, sun");
        break;
      }
      auto bit = static_cast<std::uint8_t>(1u << (it - kDayNames.begin()));
      if (w.days & bit) {
        r.reject(key, "protocol.invalid_value", "day is listed twice");
        break;
      }
      w.days |= bit;
    }
  }
  w.start_minute = read_clock(r, "start", false).value_or(0);
  w.end_minute = read_clock(r, "end", true).value_or(0);
  w.time_zone = r.string("time_zone", kMaxTimeZoneLength);
  w.hosts = read_ids(r, "hosts", false);
  w.groups = read_ids(r, "groups", false);
  RELMAN_CHECK(r.finish_strict());
  return w;
}

Result<BlackoutWindow> read_blackout(const json& item, const std::string& where) {
  JsonReader r(item, where);
  BlackoutWindow b;
  b.name = r.optional_string("name").value_or("");
  b.start = r.integer("start", 0, kMaxScheduleTime);
  b.end = r.integer("end", 0, kMaxScheduleTime);
  b.hosts = read_ids(r, "hosts", false);
  b.groups = read_ids(r, "groups", false);
  RELMAN_CHECK(r.finish_strict());
  return b;
}

Result<void> read_windows(const json& body, PlanRequest& req) {
  JsonReader r(body, "windows");
  const json* maintenance = r.optional_array("maintenance", kMaxRequestWindows);
  const json* blackouts = r.optional_array("blackouts", kMaxRequestWindows);
  RELMAN_CHECK(r.finish_strict());
  for (std::size_t i = 0; maintenance && i < maintenance->size(); ++i) {
    RELMAN_TRY(
        w, read_maintenance((*maintenance)[i], "windows.maintenance[" + std::to_string(i) + "]"));
    req.maintenance.push_back(std::move(w));
  }
  for (std::size_t i = 0; blackouts && i < blackouts->size(); ++i) {
    RELMAN_TRY(b, read_blackout((*blackouts)[i], "windows.blackouts[" + std::to_string(i) + "]"));
    req.blackouts.push_back(std::move(b));
  }
  RELMAN_CHECK(request_schedule(req));
  return ok();
}

Result<void> read_target(const json& body, PlanTarget& target) {
  JsonReader r(body, "target");
  auto text = r.optional_string("query", query::kMaxQueryBytes);
  target.hosts = read_ids(r, "hosts", false);
  if (r.ok() && !text && target.hosts.empty()) {
    r.reject("query", "protocol.missing_field", "a target needs a query, hosts or both");
  }
  RELMAN_CHECK(r.finish_strict());
  if (text) {
    auto parsed = query::parse_query(*text);
    if (!parsed) {
      Error e = std::move(parsed.error());
      e.context = "target.query";
      return fail(std::move(e));
    }
    target.query = std::move(*parsed);
  }
  return ok();
}

Result<void> read_dependencies(const json& list, PlanRequest& req) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    JsonReader r(list[i], "dependencies[" + std::to_string(i) + "]");
    Dependency d;
    d.host = r.string("host");
    d.depends_on = r.string("depends_on");
    RELMAN_CHECK(r.finish_strict());
    req.dependencies.push_back(std::move(d));
  }
  return ok();
}

Result<void> read_groups(const json& list, PlanRequest& req) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    JsonReader r(list[i], "groups[" + std::to_string(i) + "]");
    HostGroup g;
    g.name = r.string("name");
    g.hosts = read_ids(r, "hosts", true);
    RELMAN_CHECK(r.finish_strict());
    req.groups.push_back(std::move(g));
  }
  return ok();
}

std::string clock_text(int minute) {
  auto two = [](int v) { return std::string(1, char('0' + v / 10)) + char('0' + v % 10); };
  return two(minute / 60) + ":" + two(minute % 60);
}

json rules_json(json j, const WaveRules& rules) {
  if (rules.max_concurrent) j["max_concurrent"] = *rules.max_concurrent;
  j["success_threshold_percent"] = rules.success_threshold_percent;
  j["error_threshold_percent"] = rules.error_threshold_percent;
  return j;
}

json size_json(const WaveSize& size) {
  return {{size.unit == WaveSize::Unit::hosts ? "count" : "percent", size.value}};
}

}  // namespace

Result<PlanRequest> plan_request_from_json(const json& body,
                                           std::initializer_list<std::string_view> caller_fields) {
  JsonReader r(body);
  for (auto field : caller_fields) r.allow(field);
  const json* target = r.object("target");
  const json* policy = r.object("policy");
  const json* windows = r.optional_object("windows");
  const json* dependencies = r.optional_array("dependencies", kMaxRequestDependencies);
  const json* groups = r.optional_array("groups", kMaxRequestGroups);
  RELMAN_CHECK(r.finish_strict());
  PlanRequest req;
  RELMAN_CHECK(read_target(*target, req.target));
  RELMAN_CHECK(read_policy(*policy, req.policy));
  if (windows) RELMAN_CHECK(read_windows(*windows, req));
  if (dependencies) RELMAN_CHECK(read_dependencies(*dependencies, req));
  if (groups) RELMAN_CHECK(read_groups(*groups, req));
  return req;
}

std::vector<std::string> groups_of(const PlanRequest& request, const std::string& host) {
  std::vector<std::string> out;
  for (const auto& g : request.groups) {
    if (std::find(g.hosts.begin(), g.hosts.end(), host) != g.hosts.end()) out.push_back(g.name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::map<std::string, std::vector<std::string>> groups_by_host(const PlanRequest& request) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& g : request.groups) {
    for (const auto& h : g.hosts) out[h].push_back(g.name);
  }
  for (auto& [host, names] : out) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  return out;
}

Result<Schedule> request_schedule(const PlanRequest& request) {
  return Schedule::make(request.maintenance, request.blackouts);
}

json to_json(const PlanRequest& req) {
  json target = json::object();
  if (req.target.query) target["query"] = req.target.query->text();
  if (!req.target.hosts.empty()) target["hosts"] = req.target.hosts;

  const WavePolicy& p = req.policy;
  json policy = {{"batches", rules_json(size_json(p.batch_size), p.batch_rules)}};
  if (p.canary_size) {
    policy["canary"] = rules_json(size_json(*p.canary_size), p.canary_rules);
  } else if (!p.canary_hosts.empty()) {
    policy["canary"] = rules_json({{"hosts", p.canary_hosts}}, p.canary_rules);
  }

  json maintenance = json::array();
  for (const auto& w : req.maintenance) {
    json days = json::array();
    for (std::size_t d = 0; d < kDayNames.size(); ++d) {
      if (w.days & (1u << d)) days.push_back(kDayNames[d]);
    }
    maintenance.push_back({{"name", w.name},
                           {"days", days},
                           {"start", clock_text(w.start_minute)},
                           {"end", clock_text(w.end_minute)},
                           {"time_zone", w.time_zone},
                           {"hosts", w.hosts},
                           {"groups", w.groups}});
  }
  json blackouts = json::array();
  for (const auto& b : req.blackouts) {
    blackouts.push_back({{"name", b.name},
                         {"start", b.start},
                         {"end", b.end},
                         {"hosts", b.hosts},
                         {"groups", b.groups}});
  }
  json dependencies = json::array();
  for (const auto& d : req.dependencies) {
    dependencies.push_back({{"host", d.host}, {"depends_on", d.depends_on}});
  }
  json groups = json::array();
  for (const auto& g : req.groups) groups.push_back({{"name", g.name}, {"hosts", g.hosts}});
  return {{"target", target},
          {"policy", policy},
          {"windows", {{"maintenance", maintenance}, {"blackouts", blackouts}}},
          {"dependencies", dependencies},
          {"groups", groups}};
}

}  // namespace relman::controller::rollout
