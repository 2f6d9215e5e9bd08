// Releases and actors the lifecycle tests share: requester rita, executor eve (group ops),
// an outsider (no groups), approvers alice, bob and carol.
#pragma once

#include "controller/releases/lifecycle.hpp"

namespace relman::controller::testing {

inline const Actor kRita{"rita", {}};         // the requester
inline const Actor kEve{"eve", {"ops"}};      // in the executor group
inline const Actor kOscar{"oscar", {"dba"}};  // neither
inline const Actor kAlice{"alice", {}};       // approvers
inline const Actor kBob{"bob", {}};
inline const Actor kCarol{"carol", {}};

// A release in state `s` at version 7, requested by rita for executor group ops. Suspended
// releases were suspended from in_execution.
inline ReleaseState release_in(LifecycleState s) {
  ReleaseState st;
  st.state = s;
  st.version = 7;
  st.requester = "rita";
  st.executor_group = "ops";
  st.current_responsible = Principal{PrincipalKind::group, "ops"};
  if (s == LifecycleState::suspended) {
    st.suspended_from = LifecycleState::in_execution;
    st.suspension_justification = "change_freeze";
    st.suspension_reason = "freeze until Monday";
  }
  if (s != LifecycleState::registered && s != LifecycleState::authorized) st.executions = 1;
  if (s == LifecycleState::solved || s == LifecycleState::closed) {
    st.release_date = 1700000000;
    st.solution_category = "deployed";
    st.closure_text = "done";
  }
  return st;
}

inline ReleaseState with_approvers(ReleaseState st, ApprovalPolicy policy) {
  st.approval.policy = policy;
  st.approval.approvers = {"alice", "bob", "carol"};
  return st;
}

// A request for `action` against version 7 that carries every field any action needs.
inline TransitionRequest full_request(LifecycleAction action, std::int64_t version = 7) {
  TransitionRequest r;
  r.action = action;
  r.expected_version = version;
  r.comment = "ok by me";
  r.reason = "the database migration failed";
  r.justification = "change_freeze";
  r.release_date = 1700003600;
  r.solution_category = "deployed";
  r.closure_text = "rolled out to all hosts";
  r.target = Principal{PrincipalKind::user, "bob"};
  return r;
}

// Someone the lifecycle's own rules let take `action` in `st` (the requester for
// requester-only actions, an executor for capture, an approver who has not voted for votes).
inline Actor able_actor(LifecycleAction action) {
  switch (action) {
    case LifecycleAction::authorize:
    case LifecycleAction::new_execution:
    case LifecycleAction::close:
      return kRita;
    case LifecycleAction::approve:
    case LifecycleAction::reject:
      return kAlice;
    default:
      return kEve;
  }
}

}  // namespace relman::controller::testing
