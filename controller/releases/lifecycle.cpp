#include "controller/releases/lifecycle.hpp"

#include <algorithm>

namespace relman::controller {

namespace {

using S = LifecycleState;
using A = LifecycleAction;

// Where an action leads: a fixed state, the same state, or back to where it was suspended.
enum class Next { fixed, stay, remembered };

struct Rule {
  S from;
  A action;
  Next next;
  S to;  // only for Next::fixed
};

constexpr Rule fixed(S from, A action, S to) { return {from, action, Next::fixed, to}; }
constexpr Rule stay(S from, A action) { return {from, action, Next::stay, from}; }

// The lifecycle table. Anything not listed is an illegal transition.
constexpr Rule kRules[] = {
    fixed(S::registered, A::authorize, S::authorized),
    fixed(S::authorized, A::start_execution, S::in_execution),
    fixed(S::in_execution, A::submit_for_test, S::in_test),
    fixed(S::in_test, A::submit_for_homologation, S::homologation),
    stay(S::homologation, A::approve),  // a rejected vote moves to unresolved (see apply)
    stay(S::homologation, A::reject),
    fixed(S::homologation, A::solve, S::solved),
    fixed(S::in_execution, A::mark_unresolved, S::unresolved),
    fixed(S::in_test, A::mark_unresolved, S::unresolved),
    fixed(S::homologation, A::mark_unresolved, S::unresolved),
    fixed(S::unresolved, A::new_execution, S::in_execution),
    fixed(S::solved, A::close, S::closed),
    fixed(S::closed, A::reopen, S::in_execution),
    {S::suspended, A::reactivate, Next::remembered, S::suspended},
};

// Side branches open in every working state.
constexpr S kSuspendable[] = {S::registered, S::authorized,   S::in_execution,
                              S::in_test,    S::homologation, S::unresolved};
constexpr S kCancellable[] = {S::registered,   S::authorized, S::in_execution, S::in_test,
                              S::homologation, S::unresolved, S::suspended};
constexpr S kAssignable[] = {S::registered,   S::authorized, S::in_execution, S::in_test,
                             S::homologation, S::solved,     S::unresolved,   S::suspended};

template <class Range>
bool contains(const Range& r, S s) {
  return std::find(std::begin(r), std::end(r), s) != std::end(r);
}

const Rule* find_rule(S from, A action) {
  for (const auto& r : kRules) {
    if (r.from == from && r.action == action) return &r;
  }
  return nullptr;
}

bool requester_only(A a) { return a == A::authorize || a == A::new_execution || a == A::close; }

bool in_group(const Actor& actor, std::string_view group) {
  return !group.empty() && actor.groups.contains(group);
}

// Capture is for the people who do the work: members of the executor group or of the group
// the release currently sits with.
bool may_capture(const ReleaseState& st, const Actor& actor) {
  if (in_group(actor, st.executor_group)) return true;
  return st.current_responsible.kind == PrincipalKind::group &&
         in_group(actor, st.current_responsible.name);
}

// Does this actor pass the rules beyond the state table? (The reasons are in apply().)
bool actor_may(const ReleaseState& st, A a, const Actor& actor) {
  if (requester_only(a) && actor.user != st.requester) return false;
  if (a == A::capture && !may_capture(st, actor)) return false;
  if (a == A::approve || a == A::reject) return may_vote(st.approval, actor.user);
  if (a == A::solve) return tally(st.approval) == ApprovalOutcome::approved;
  return true;
}

std::string join_actions(const std::vector<A>& actions) {
  std::string s;
  for (auto a : actions) {
    if (!s.empty()) s += ",";
    s += lifecycle_action_name(a);
  }
  return s;
}

Result<void> require_text(const std::string& value, std::string_view field, A action) {
  if (!value.empty()) return ok();
  return fail("release.field_required",
              std::string(lifecycle_action_name(action)) + " needs '" + std::string(field) + "'",
              std::string(field));
}

Principal executor_queue(const ReleaseState& st) {
  if (st.executor_group.empty()) return st.current_responsible;
  return Principal{PrincipalKind::group, st.executor_group};
}

void start_execution(ReleaseState& next, std::vector<SideEffect>& effects) {
  next.executions += 1;
  next.current_responsible = executor_queue(next);
  effects.push_back({SideEffectKind::execution_started, std::to_string(next.executions)});
}

void end_unresolved(ReleaseState& next, std::string reason, std::vector<SideEffect>& effects) {
  next.state = S::unresolved;
  next.unresolved_reason = std::move(reason);
  next.current_responsible = Principal{PrincipalKind::user, next.requester};
  effects.push_back({SideEffectKind::execution_ended, "unresolved"});
}

std::string shared_text(const std::vector<Principal>& list) {
  std::string s;
  for (const auto& p : list) {
    if (!s.empty()) s += ",";
    s += to_string(p);
  }
  return s;
}

std::string votes_text(const ApprovalBallot& b) {
  std::string s;
  for (const auto& v : b.votes) {
    if (!s.empty()) s += ",";
    s += v.approver + ":" + std::string(vote_choice_name(v.choice));
  }
  return s;
}

std::string approvers_text(const ApprovalBallot& b) {
  std::string s;
  for (const auto& a : b.approvers) {
    if (!s.empty()) s += ",";
    s += a;
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> describe(const ReleaseState& st) {
  auto opt_state = [](const std::optional<S>& s) {
    return s ? std::string(lifecycle_state_name(*s)) : std::string();
  };
  return {
      {"state", std::string(lifecycle_state_name(st.state))},
      {"version", std::to_string(st.version)},
      {"requester", st.requester},
      {"executor_group", st.executor_group},
      {"current_responsible", to_string(st.current_responsible)},
      {"shared_with", shared_text(st.shared_with)},
      {"suspended_from", opt_state(st.suspended_from)},
      {"suspension_justification", st.suspension_justification},
      {"suspension_reason", st.suspension_reason},
      {"release_date", st.release_date ? std::to_string(*st.release_date) : std::string()},
      {"solution_category", st.solution_category},
      {"closure_text", st.closure_text},
      {"unresolved_reason", st.unresolved_reason},
      {"cancellation_reason", st.cancellation_reason},
      {"reopen_reason", st.reopen_reason},
      {"executions", std::to_string(st.executions)},
      {"approval.policy", std::string(approval_policy_name(st.approval.policy))},
      {"approval.approvers", approvers_text(st.approval)},
      {"approval.votes", votes_text(st.approval)},
      {"approval.outcome", std::string(approval_outcome_name(tally(st.approval)))},
  };
}

}  // namespace

std::string_view lifecycle_state_name(LifecycleState s) {
  switch (s) {
    case S::registered:
      return "registered";
    case S::authorized:
      return "authorized";
    case S::in_execution:
      return "in_execution";
    case S::in_test:
      return "in_test";
    case S::homologation:
      return "homologation";
    case S::solved:
      return "solved";
    case S::unresolved:
      return "unresolved";
    case S::closed:
      return "closed";
    case S::suspended:
      return "suspended";
    case S::cancelled:
      return "cancelled";
  }
  return "registered";
}

std::optional<LifecycleState> parse_lifecycle_state(std::string_view s) {
  for (auto st : kAllLifecycleStates) {
    if (lifecycle_state_name(st) == s) return st;
  }
  return std::nullopt;
}

std::string_view lifecycle_action_name(LifecycleAction a) {
  switch (a) {
    case A::authorize:
      return "authorize";
    case A::start_execution:
      return "start_execution";
    case A::submit_for_test:
      return "submit_for_test";
    case A::submit_for_homologation:
      return "submit_for_homologation";
    case A::approve:
      return "approve";
    case A::reject:
      return "reject";
    case A::solve:
      return "solve";
    case A::mark_unresolved:
      return "mark_unresolved";
    case A::new_execution:
      return "new_execution";
    case A::close:
      return "close";
    case A::suspend:
      return "suspend";
    case A::reactivate:
      return "reactivate";
    case A::cancel:
      return "cancel";
    case A::reopen:
      return "reopen";
    case A::capture:
      return "capture";
    case A::delegate:
      return "delegate";
    case A::share:
      return "share";
  }
  return "authorize";
}

std::optional<LifecycleAction> parse_lifecycle_action(std::string_view s) {
  for (auto a : kAllLifecycleActions) {
    if (lifecycle_action_name(a) == s) return a;
  }
  return std::nullopt;
}

std::string_view side_effect_name(SideEffectKind k) {
  switch (k) {
    case SideEffectKind::execution_started:
      return "execution_started";
    case SideEffectKind::execution_ended:
      return "execution_ended";
    case SideEffectKind::promote_linked_cis:
      return "promote_linked_cis";
  }
  return "execution_started";
}

LifecycleRules default_lifecycle_rules() {
  return LifecycleRules{{"awaiting_requester", "awaiting_supplier", "change_freeze",
                         "resources_unavailable", "priority_changed"}};
}

bool state_allows(LifecycleState s, LifecycleAction action) {
  switch (action) {
    case A::suspend:
      return contains(kSuspendable, s);
    case A::cancel:
      return contains(kCancellable, s);
    case A::capture:
    case A::delegate:
    case A::share:
      return contains(kAssignable, s);
    default:
      return find_rule(s, action) != nullptr;
  }
}

std::vector<LifecycleAction> allowed_actions(const ReleaseState& current, const Actor& actor) {
  std::vector<A> out;
  for (auto a : kAllLifecycleActions) {
    if (state_allows(current.state, a) && actor_may(current, a, actor)) out.push_back(a);
  }
  return out;
}

bool is_editable(LifecycleState s) { return s != S::closed && s != S::cancelled; }

std::vector<FieldChange> diff(const ReleaseState& before, const ReleaseState& after) {
  auto b = describe(before);
  auto a = describe(after);
  std::vector<FieldChange> out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b[i].second != a[i].second) out.push_back({b[i].first, b[i].second, a[i].second});
  }
  return out;
}

Result<Transition> apply(const ReleaseState& current, const TransitionRequest& request,
                         const Actor& actor, const LifecycleRules& rules) {
  const A action = request.action;
  const std::string action_name(lifecycle_action_name(action));
  if (request.expected_version != current.version) {
    return fail("release.version_conflict",
                "the release changed since you read it (now version " +
                    std::to_string(current.version) + "); reload it and try again",
                "version");
  }
  const bool vote = action == A::approve || action == A::reject;
  if (!state_allows(current.state, action) || (vote && current.approval.approvers.empty())) {
    auto allowed = join_actions(allowed_actions(current, actor));
    return fail("release.illegal_transition",
                "'" + action_name + "' is not allowed while the release is " +
                    std::string(lifecycle_state_name(current.state)) +
                    (allowed.empty() ? "; nothing is" : "; allowed: " + allowed),
                allowed);
  }
  if (requester_only(action) && actor.user != current.requester) {
    return fail(
        "auth.not_requester",
        "only the requester (" + current.requester + ") may " + action_name + " this release",
        action_name);
  }
  if (action == A::capture && !may_capture(current, actor)) {
    return fail("auth.not_in_group",
                "only members of the executor group or of the responsible group may capture",
                action_name);
  }

  switch (action) {
    case A::solve:
      if (!request.release_date) {
        return fail("release.field_required", "solve needs 'release_date'", "release_date");
      }
      RELMAN_CHECK(require_text(request.solution_category, "solution_category", action));
      RELMAN_CHECK(require_text(request.closure_text, "closure_text", action));
      break;
    case A::mark_unresolved:
    case A::cancel:
    case A::reopen:
      RELMAN_CHECK(require_text(request.reason, "reason", action));
      break;
    case A::suspend:
      RELMAN_CHECK(require_text(request.justification, "justification", action));
      RELMAN_CHECK(require_text(request.reason, "reason", action));
      if (!rules.suspension_justifications.contains(request.justification)) {
        return fail(
            "release.unknown_justification",
            "'" + request.justification + "' is not in the list of suspension justifications",
            "justification");
      }
      break;
    case A::reject:
      RELMAN_CHECK(require_text(request.comment, "comment", action));
      break;
    case A::delegate:
    case A::share: {
      const char* field = action == A::delegate ? "to" : "with";
      if (!request.target || request.target->name.empty()) {
        return fail("release.field_required", action_name + " needs '" + field + "'", field);
      }
      break;
    }
    default:
      break;
  }

  ReleaseState next = current;
  next.version = current.version + 1;
  std::vector<SideEffect> effects;
  if (const Rule* rule = find_rule(current.state, action)) {
    if (rule->next == Next::fixed) next.state = rule->to;
  }

  switch (action) {
    case A::authorize:
      next.current_responsible = executor_queue(next);
      break;
    case A::start_execution:
    case A::new_execution:
      start_execution(next, effects);
      break;
    case A::submit_for_homologation:
      next.approval.votes.clear();
      break;
    case A::approve:
    case A::reject: {
      auto choice = action == A::approve ? VoteChoice::approve : VoteChoice::reject;
      RELMAN_TRY(ballot, cast_vote(current.approval, actor.user, choice, request.comment));
      next.approval = std::move(ballot);
      if (tally(next.approval) == ApprovalOutcome::rejected) {
        end_unresolved(next, "homologation rejected", effects);
      }
      break;
    }
    case A::solve:
      if (tally(current.approval) != ApprovalOutcome::approved) {
        return fail("release.approval_required",
                    "the homologation approval is " +
                        std::string(approval_outcome_name(tally(current.approval))) +
                        "; solve needs it approved",
                    "approval");
      }
      next.release_date = request.release_date;
      next.solution_category = request.solution_category;
      next.closure_text = request.closure_text;
      next.current_responsible = Principal{PrincipalKind::user, next.requester};
      effects.push_back({SideEffectKind::execution_ended, "solved"});
      break;
    case A::mark_unresolved:
      end_unresolved(next, request.reason, effects);
      break;
    case A::close:
      effects.push_back({SideEffectKind::promote_linked_cis, "development->production"});
      break;
    case A::suspend:
      next.suspended_from = current.state;
      next.state = S::suspended;
      next.suspension_justification = request.justification;
      next.suspension_reason = request.reason;
      break;
    case A::reactivate:
      if (!current.suspended_from || *current.suspended_from == S::suspended) {
        return fail("release.invalid_state",
                    "the release is suspended but does not say where it was suspended from",
                    "suspended_from");
      }
      next.state = *current.suspended_from;
      next.suspended_from.reset();
      next.suspension_justification.clear();
      next.suspension_reason.clear();
      break;
    case A::cancel:
      if (execution_open(current))
        effects.push_back({SideEffectKind::execution_ended, "cancelled"});
      next.state = S::cancelled;
      next.suspended_from.reset();
      next.cancellation_reason = request.reason;
      break;
    case A::reopen:
      next.reopen_reason = request.reason;
      next.release_date.reset();
      next.solution_category.clear();
      next.closure_text.clear();
      next.approval.votes.clear();
      start_execution(next, effects);
      break;
    case A::capture:
      next.current_responsible = Principal{PrincipalKind::user, actor.user};
      break;
    case A::delegate:
      next.current_responsible = *request.target;
      break;
    case A::share: {
      auto& list = next.shared_with;
      auto at = std::lower_bound(list.begin(), list.end(), *request.target);
      if (at == list.end() || *at != *request.target) list.insert(at, *request.target);
      break;
    }
    case A::submit_for_test:
      break;
  }

  Transition t;
  t.action = action;
  t.from = current.state;
  t.to = next.state;
  t.changes = diff(current, next);
  t.effects = std::move(effects);
  t.next = std::move(next);
  return t;
}

bool execution_open(const ReleaseState& st) {
  S s = st.state == S::suspended && st.suspended_from ? *st.suspended_from : st.state;
  return s == S::in_execution || s == S::in_test || s == S::homologation;
}

}  // namespace relman::controller
