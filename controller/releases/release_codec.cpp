#include "controller/releases/release_codec.hpp"

#include "controller/releases/release_request.hpp"

namespace relman::controller {
namespace {
using nlohmann::json;

json principal_or_null(const Principal& p) { return p.name.empty() ? json(nullptr) : to_json(p); }

Error bad(const std::string& what) {
  return Error{"release.invalid_state", "the stored lifecycle has an unknown " + what, what};
}

Result<Principal> principal_from(const json& j) {
  if (!j.is_object()) return Principal{};
  auto kind = parse_principal_kind(j.value("kind", "user"));
  if (!kind) return fail(bad("principal kind"));
  return Principal{*kind, j.value("name", "")};
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

json lifecycle_to_json(const ReleaseState& s) {
  json shared = json::array();
  for (const auto& p : s.shared_with) shared.push_back(to_json(p));
  json votes = json::array();
  for (const auto& v : s.approval.votes) {
    votes.push_back(
        {{"approver", v.approver}, {"choice", vote_choice_name(v.choice)}, {"comment", v.comment}});
  }
  return json{
      {"state", lifecycle_state_name(s.state)},
      {"version", s.version},
      {"requester", s.requester},
      {"executor_group", s.executor_group},
      {"current_responsible", principal_or_null(s.current_responsible)},
      {"shared_with", shared},
      {"suspended_from",
       s.suspended_from ? json(lifecycle_state_name(*s.suspended_from)) : json(nullptr)},
      {"suspension_justification", s.suspension_justification},
      {"suspension_reason", s.suspension_reason},
      {"release_date", s.release_date ? json(*s.release_date) : json(nullptr)},
      {"solution_category", s.solution_category},
      {"closure_text", s.closure_text},
      {"unresolved_reason", s.unresolved_reason},
      {"cancellation_reason", s.cancellation_reason},
      {"reopen_reason", s.reopen_reason},
      {"executions", s.executions},
      {"approval",
       {{"policy", approval_policy_name(s.approval.policy)},
        {"approvers", s.approval.approvers},
        {"votes", votes},
        {"outcome", approval_outcome_name(tally(s.approval))}}},
  };
}

Result<ReleaseState> lifecycle_from_json(const json& j) {
  if (!j.is_object()) return fail(bad("document"));
  ReleaseState s;
  auto state = parse_lifecycle_state(j.value("state", "registered"));
  if (!state) return fail(bad("state"));
  s.state = *state;
  s.version = j.value("version", std::int64_t{1});
  s.requester = text(j, "requester");
  s.executor_group = text(j, "executor_group");
  RELMAN_TRY(responsible, principal_from(j.value("current_responsible", json())));
  s.current_responsible = responsible;
  for (const auto& p : j.value("shared_with", json::array())) {
    RELMAN_TRY(one, principal_from(p));
    s.shared_with.push_back(one);
  }
  if (auto it = j.find("suspended_from"); it != j.end() && it->is_string()) {
    s.suspended_from = parse_lifecycle_state(it->get<std::string>());
    if (!s.suspended_from) return fail(bad("suspended_from"));
  }
  s.suspension_justification = text(j, "suspension_justification");
  s.suspension_reason = text(j, "suspension_reason");
  if (auto it = j.find("release_date"); it != j.end() && it->is_number_integer()) {
    s.release_date = it->get<std::int64_t>();
  }
  s.solution_category = text(j, "solution_category");
  s.closure_text = text(j, "closure_text");
  s.unresolved_reason = text(j, "unresolved_reason");
  s.cancellation_reason = text(j, "cancellation_reason");
  s.reopen_reason = text(j, "reopen_reason");
  s.executions = j.value("executions", std::int64_t{0});
  json approval = j.value("approval", json::object());
  auto policy = parse_approval_policy(approval.value("policy", "majority"));
  if (!policy) return fail(bad("approval policy"));
  s.approval.policy = *policy;
  s.approval.approvers = approval.value("approvers", std::vector<std::string>{});
  for (const auto& v : approval.value("votes", json::array())) {
    auto choice = parse_vote_choice(text(v, "choice"));
    if (!choice) return fail(bad("vote choice"));
    s.approval.votes.push_back({text(v, "approver"), *choice, text(v, "comment")});
  }
  return s;
}

}  // namespace relman::controller
