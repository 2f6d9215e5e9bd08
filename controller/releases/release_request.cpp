#include "controller/releases/release_request.hpp"

#include <algorithm>
#include <cstdint>

#include "protocol/json_reader.hpp"

namespace relman::controller {

namespace {

using nlohmann::json;
using protocol::JsonReader;
using protocol::kMaxIdLength;
using protocol::kMaxTextLength;

// Single-line text refuses every control character; multi-line text keeps tab, CR and LF.
bool has_control(std::string_view s, bool multiline) {
  return std::any_of(s.begin(), s.end(), [&](char ch) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0x7f) return true;
    if (c >= 0x20) return false;
    return !(multiline && (c == '\t' || c == '\n' || c == '\r'));
  });
}

struct Text {
  std::size_t max_len;
  bool multiline;
};
constexpr Text kName{kMaxIdLength, false};      // ids, user/group/type/category names
constexpr Text kTitle{kMaxTitleLength, false};  // titles
constexpr Text kLong{kMaxTextLength, true};     // descriptions, plans, reasons, comments

std::optional<std::string> checked(JsonReader& r, std::string_view key, Text t,
                                   std::optional<std::string> s) {
  if (s && has_control(*s, t.multiline)) {
    r.reject(key, "protocol.invalid_value",
             t.multiline ? "field must not contain control characters other than tab and newline"
                         : "field must not contain control characters");
    return std::nullopt;
  }
  return s;
}

// Required and not empty.
std::string text(JsonReader& r, std::string_view key, Text t) {
  auto s = r.string(key, t.max_len);
  if (!r.ok()) return {};
  return checked(r, key, t, std::move(s)).value_or("");
}

// Optional; "" allowed (it clears the field on update).
std::optional<std::string> optional_text(JsonReader& r, std::string_view key, Text t) {
  return checked(r, key, t, r.optional_string(key, t.max_len));
}

// Optional but not empty when present.
std::optional<std::string> optional_name(JsonReader& r, std::string_view key) {
  auto s = optional_text(r, key, kName);
  if (s && s->empty()) {
    r.reject(key, "protocol.empty_field", "field must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<Rating> optional_rating(JsonReader& r, std::string_view key) {
  auto s = r.optional_string(key, kMaxIdLength);
  if (!s) return std::nullopt;
  auto v = parse_rating(*s);
  if (!v) r.reject(key, "protocol.invalid_value", "must be one of low, medium, high, critical");
  return v;
}

std::optional<std::int64_t> optional_time(JsonReader& r, std::string_view key) {
  return r.optional_integer(key, 0, kMaxUnixSeconds);
}

// The reader's own earlier error wins over one found inside a list element.
Error first_error(const JsonReader& r, Error e) { return r.ok() ? std::move(e) : *r.error(); }

template <class T>
using ListResult = Result<std::optional<std::vector<T>>>;

// Reads an optional array whose elements `read_one(element, "key[i]")` parses.
template <class T, class ReadOne>
ListResult<T> list(JsonReader& r, std::string_view key, std::size_t max_items, ReadOne read_one) {
  const json* arr = r.optional_array(key, max_items);
  if (!arr) return std::optional<std::vector<T>>{};
  std::vector<T> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string where = r.field_name(key) + "[" + std::to_string(i) + "]";
    Result<T> item = read_one((*arr)[i], where);
    if (!item) return fail(std::move(item.error()));
    out.push_back(std::move(*item));
  }
  return std::optional<std::vector<T>>(std::move(out));
}

template <class T>
Result<void> refuse_duplicates(std::vector<T> items, const std::string& field) {
  std::sort(items.begin(), items.end());
  if (std::adjacent_find(items.begin(), items.end()) != items.end()) {
    return fail("protocol.invalid_value", "the list names the same entry twice", field);
  }
  return ok();
}

Result<LinkedChange> read_change(const json& j, const std::string& where) {
  JsonReader r(j, where);
  LinkedChange c;
  c.id = text(r, "id", kName);
  c.title = text(r, "title", kTitle);
  c.rollback_plan = text(r, "rollback_plan", kLong);
  RELMAN_CHECK(r.finish_strict());
  return c;
}

Result<Occurrence> read_occurrence(const json& j, const std::string& where) {
  JsonReader r(j, where);
  Occurrence o;
  o.category = text(r, "category", kName);
  o.source = text(r, "source", kName);
  o.minutes_spent = r.integer("minutes_spent", 0, kMaxMinutes);
  o.description = text(r, "description", kLong);
  RELMAN_CHECK(r.finish_strict());
  return o;
}

Result<ScheduledActivity> read_activity(const json& j, const std::string& where) {
  JsonReader r(j, where);
  ScheduledActivity a;
  a.group = text(r, "group", kName);
  a.guidelines = text(r, "guidelines", kLong);
  a.date = r.integer("date", 0, kMaxUnixSeconds);
  a.estimated_minutes = r.integer("estimated_minutes", 0, kMaxMinutes);
  RELMAN_CHECK(r.finish_strict());
  return a;
}

Result<std::int64_t> read_id(const json& j, const std::string& where) {
  if (!j.is_number_integer()) return fail("protocol.wrong_type", "must be an integer id", where);
  const bool in_range = j.is_number_unsigned()
                            ? j.get<std::uint64_t>() - 1 < static_cast<std::uint64_t>(INT64_MAX)
                            : j.get<std::int64_t>() >= 1;
  if (!in_range) {
    return fail("protocol.out_of_range", "ids are positive 64-bit integers", where);
  }
  return j.get<std::int64_t>();
}

Result<std::string> read_user_name(const json& j, const std::string& where) {
  if (!j.is_string()) return fail("protocol.wrong_type", "must be a string", where);
  const auto& s = j.get_ref<const std::string&>();
  if (s.empty()) return fail("protocol.empty_field", "must not be empty", where);
  if (s.size() > kMaxIdLength || has_control(s, false)) {
    return fail(
        "protocol.invalid_value",
        "must be at most " + std::to_string(kMaxIdLength) + " bytes without control characters",
        where);
  }
  return s;
}

Result<Principal> read_principal(const json& j, const std::string& where) {
  JsonReader r(j, where);
  Principal p;
  auto kind = r.string("kind", kMaxIdLength);
  if (r.ok()) {
    if (auto k = parse_principal_kind(kind)) {
      p.kind = *k;
    } else {
      r.reject("kind", "protocol.invalid_value", "must be 'user' or 'group'");
    }
  }
  p.name = text(r, "name", kName);
  RELMAN_CHECK(r.finish_strict());
  return p;
}

Result<std::optional<Principal>> optional_principal(JsonReader& r, std::string_view key) {
  const json* j = r.optional_object(key);
  if (!j) return std::optional<Principal>{};
  auto p = read_principal(*j, r.field_name(key));
  if (!p) return fail(first_error(r, std::move(p.error())));
  return std::optional<Principal>(std::move(*p));
}

// Fills `policy` and `approvers` from an optional "approval" object.
Result<void> read_approval(JsonReader& r, std::optional<ApprovalPolicy>& policy,
                           std::optional<std::vector<std::string>>& approvers) {
  const json* j = r.optional_object("approval");
  if (!j) return ok();
  JsonReader a(*j, r.field_name("approval"));
  if (auto s = a.optional_string("policy", kMaxIdLength)) {
    policy = parse_approval_policy(*s);
    if (!policy) a.reject("policy", "protocol.invalid_value", "must be 'majority' or 'unanimity'");
  }
  auto names = list<std::string>(a, "approvers", kMaxApprovers, read_user_name);
  if (!names) return fail(first_error(a, std::move(names.error())));
  RELMAN_CHECK(a.finish_strict());
  if (*names) {
    RELMAN_CHECK(refuse_duplicates(**names, a.field_name("approvers")));
    std::sort((*names)->begin(), (*names)->end());
    approvers = std::move(**names);
  }
  return ok();
}

// The descriptive fields, all optional (create and update differ only in what is required).
Result<UpdateReleaseRequest> read_fields(JsonReader& r) {
  UpdateReleaseRequest u;
  u.title = optional_text(r, "title", kTitle);
  if (u.title && u.title->empty()) r.reject("title", "protocol.empty_field", "title is empty");
  u.description = optional_text(r, "description", kLong);
  u.type = optional_text(r, "type", kName);
  u.risk = optional_rating(r, "risk");
  u.impact = optional_rating(r, "impact");
  u.urgency = optional_rating(r, "urgency");
  u.planned_start = optional_time(r, "planned_start");
  u.planned_end = optional_time(r, "planned_end");
  u.release_version = optional_text(r, "release_version", kName);

  auto changes = list<LinkedChange>(r, "linked_changes", kMaxLinkedChanges, read_change);
  if (!changes) return fail(first_error(r, std::move(changes.error())));
  u.linked_changes = std::move(*changes);
  auto cis = list<std::int64_t>(r, "linked_cis", kMaxLinkedCis, read_id);
  if (!cis) return fail(first_error(r, std::move(cis.error())));
  u.linked_cis = std::move(*cis);
  auto packages =
      list<std::int64_t>(r, "linked_package_versions", kMaxLinkedPackageVersions, read_id);
  if (!packages) return fail(first_error(r, std::move(packages.error())));
  u.linked_package_versions = std::move(*packages);
  auto occurrences = list<Occurrence>(r, "occurrences", kMaxOccurrences, read_occurrence);
  if (!occurrences) return fail(first_error(r, std::move(occurrences.error())));
  u.occurrences = std::move(*occurrences);
  auto activities =
      list<ScheduledActivity>(r, "scheduled_activities", kMaxScheduledActivities, read_activity);
  if (!activities) return fail(first_error(r, std::move(activities.error())));
  u.scheduled_activities = std::move(*activities);
  auto approval = read_approval(r, u.approval_policy, u.approvers);
  if (!approval) return fail(first_error(r, std::move(approval.error())));

  if (!r.ok()) return fail(*r.error());
  if (u.linked_changes) {
    std::vector<std::string> ids;
    for (const auto& c : *u.linked_changes) ids.push_back(c.id);
    RELMAN_CHECK(refuse_duplicates(ids, "linked_changes"));
  }
  if (u.linked_cis) RELMAN_CHECK(refuse_duplicates(*u.linked_cis, "linked_cis"));
  if (u.linked_package_versions) {
    RELMAN_CHECK(refuse_duplicates(*u.linked_package_versions, "linked_package_versions"));
  }
  return u;
}

Result<std::vector<Principal>> read_shared_with(JsonReader& r) {
  auto shared = list<Principal>(r, "shared_with", kMaxSharedWith, read_principal);
  if (!shared) return fail(first_error(r, std::move(shared.error())));
  std::vector<Principal> out = shared->value_or(std::vector<Principal>{});
  RELMAN_CHECK(refuse_duplicates(out, "shared_with"));
  std::sort(out.begin(), out.end());
  return out;
}

// The optimistic lock: "expected_version" in the body or the If-Match header, or both when
// they agree.
Result<std::int64_t> read_expected_version(JsonReader& r, std::optional<std::int64_t> if_match) {
  auto body = r.optional_integer("expected_version", 1, INT64_MAX);
  if (!r.ok()) return fail(*r.error());
  if (body && if_match && *body != *if_match) {
    return fail("protocol.invalid_value", "expected_version and If-Match disagree",
                "expected_version");
  }
  if (body) return *body;
  if (if_match) return *if_match;
  return fail("protocol.missing_field",
              "say which version you changed: expected_version in the body or If-Match",
              "expected_version");
}

}  // namespace

Result<void> check_period(const ReleaseFields& f) {
  if (f.planned_start && f.planned_end && *f.planned_end < *f.planned_start) {
    return fail("release.invalid_period", "the planned end is before the planned start",
                "planned_end");
  }
  return ok();
}

Result<ReleaseFields> apply_update(const ReleaseFields& current, const UpdateReleaseRequest& u) {
  ReleaseFields f = current;
  auto set = [](auto& field, const auto& value) {
    if (value) field = *value;
  };
  set(f.title, u.title);
  set(f.description, u.description);
  set(f.type, u.type);
  set(f.risk, u.risk);
  set(f.impact, u.impact);
  set(f.urgency, u.urgency);
  if (u.planned_start) f.planned_start = u.planned_start;
  if (u.planned_end) f.planned_end = u.planned_end;
  set(f.release_version, u.release_version);
  set(f.linked_changes, u.linked_changes);
  set(f.linked_cis, u.linked_cis);
  set(f.linked_package_versions, u.linked_package_versions);
  set(f.occurrences, u.occurrences);
  set(f.scheduled_activities, u.scheduled_activities);
  set(f.approval_policy, u.approval_policy);
  set(f.approvers, u.approvers);
  RELMAN_CHECK(check_period(f));
  return f;
}

Result<ExecutionNote> parse_execution_note(const json& body) {
  JsonReader r(body);
  ExecutionNote n;
  n.description = text(r, "description", kLong);
  if (auto minutes = r.optional_integer("minutes_spent", 0, kMaxMinutes)) {
    n.minutes_spent = *minutes;
  }
  RELMAN_CHECK(r.finish_strict());
  return n;
}

Result<CreateReleaseRequest> parse_create_release(const json& body) {
  JsonReader r(body);
  CreateReleaseRequest c;
  c.fields.title = text(r, "title", kTitle);
  RELMAN_TRY(fields, read_fields(r));
  c.requester = optional_name(r, "requester");
  c.executor_group = optional_name(r, "executor_group");
  RELMAN_TRY(responsible, optional_principal(r, "current_responsible"));
  c.current_responsible = std::move(responsible);
  RELMAN_TRY(shared, read_shared_with(r));
  c.shared_with = std::move(shared);
  RELMAN_CHECK(r.finish_strict());
  RELMAN_TRY(merged, apply_update(c.fields, fields));
  c.fields = std::move(merged);
  return c;
}

Result<UpdateReleaseRequest> parse_update_release(const json& body,
                                                  std::optional<std::int64_t> if_match) {
  JsonReader r(body);
  auto version = read_expected_version(r, if_match);
  RELMAN_TRY(u, read_fields(r));
  RELMAN_CHECK(r.finish_strict());
  if (!version) return fail(std::move(version.error()));
  u.expected_version = version.value_or(0);
  auto changed = std::count_if(body.items().begin(), body.items().end(), [](const auto& kv) {
    return kv.key() != "expected_version" && !kv.value().is_null();
  });
  if (changed < 1) {
    return fail("protocol.missing_field", "an update needs at least one field to change", "fields");
  }
  if (u.planned_start && u.planned_end && *u.planned_end < *u.planned_start) {
    return fail("release.invalid_period", "the planned end is before the planned start",
                "planned_end");
  }
  return std::move(u);
}

Result<TransitionRequest> parse_transition_request(const json& body,
                                                   std::optional<std::int64_t> if_match) {
  using A = LifecycleAction;
  JsonReader r(body);
  TransitionRequest t;
  auto name = r.string("action", kMaxIdLength);
  if (!r.ok()) return fail(*r.error());
  auto action = parse_lifecycle_action(name);
  if (!action) {
    return fail("protocol.invalid_value", "unknown action '" + name + "'", "action");
  }
  t.action = *action;
  auto version = read_expected_version(r, if_match);
  t.comment = optional_text(r, "comment", kLong).value_or("");
  switch (t.action) {
    case A::solve:
      t.release_date = optional_time(r, "release_date");
      t.solution_category = optional_text(r, "solution_category", kName).value_or("");
      t.closure_text = optional_text(r, "closure_text", kLong).value_or("");
      break;
    case A::suspend:
      t.justification = optional_text(r, "justification", kName).value_or("");
      [[fallthrough]];
    case A::mark_unresolved:
    case A::cancel:
    case A::reopen:
      t.reason = optional_text(r, "reason", kLong).value_or("");
      break;
    case A::delegate:
    case A::share: {
      RELMAN_TRY(target, optional_principal(r, t.action == A::delegate ? "to" : "with"));
      t.target = std::move(target);
      break;
    }
    default:
      break;
  }
  RELMAN_CHECK(r.finish_strict());
  if (!version) return fail(std::move(version.error()));
  t.expected_version = version.value_or(0);
  return t;
}

json to_json(const Principal& p) {
  return json{{"kind", principal_kind_name(p.kind)}, {"name", p.name}};
}

json to_json(const ReleaseFields& f) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  json changes = json::array();
  for (const auto& c : f.linked_changes) {
    changes.push_back({{"id", c.id}, {"title", c.title}, {"rollback_plan", c.rollback_plan}});
  }
  json occurrences = json::array();
  for (const auto& o : f.occurrences) {
    occurrences.push_back({{"category", o.category},
                           {"source", o.source},
                           {"minutes_spent", o.minutes_spent},
                           {"description", o.description}});
  }
  json activities = json::array();
  for (const auto& a : f.scheduled_activities) {
    activities.push_back({{"group", a.group},
                          {"guidelines", a.guidelines},
                          {"date", a.date},
                          {"estimated_minutes", a.estimated_minutes}});
  }
  return json{
      {"title", f.title},
      {"description", f.description},
      {"type", f.type},
      {"risk", rating_name(f.risk)},
      {"impact", rating_name(f.impact)},
      {"urgency", rating_name(f.urgency)},
      {"planned_start", opt(f.planned_start)},
      {"planned_end", opt(f.planned_end)},
      {"release_version", f.release_version},
      {"linked_changes", changes},
      {"linked_cis", f.linked_cis},
      {"linked_package_versions", f.linked_package_versions},
      {"occurrences", occurrences},
      {"scheduled_activities", activities},
      {"approval",
       {{"policy", approval_policy_name(f.approval_policy)}, {"approvers", f.approvers}}},
  };
}

}  // namespace relman::controller
