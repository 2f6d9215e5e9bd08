// The lifecycle walked end to end: the happy path and every side branch, with the rules
// each step enforces (required fields, requester-only steps, capture, votes).
#include "controller/releases/lifecycle.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/controller/lifecycle_fixtures.hpp"

namespace relman::controller {
namespace {

using namespace relman::controller::testing;
using S = LifecycleState;
using A = LifecycleAction;

// Applies `action` by `actor` with the fields given, against the state's current version.
Result<Transition> act(const ReleaseState& st, A action, const Actor& actor,
                       TransitionRequest request = {}) {
  request.action = action;
  request.expected_version = st.version;
  return apply(st, request, actor);
}

ReleaseState step(const ReleaseState& st, A action, const Actor& actor,
                  TransitionRequest request = {}) {
  auto t = act(st, action, actor, std::move(request));
  EXPECT_TRUE(t) << lifecycle_action_name(action) << ": " << t.error().describe();
  return t ? t->next : st;
}

TransitionRequest with_reason(std::string reason) {
  TransitionRequest r;
  r.reason = std::move(reason);
  return r;
}

TransitionRequest solution() {
  TransitionRequest r;
  r.release_date = 1700000000;
  r.solution_category = "deployed";
  r.closure_text = "all hosts on 2.4.1";
  return r;
}

TransitionRequest suspension(std::string justification, std::string reason) {
  TransitionRequest r;
  r.justification = std::move(justification);
  r.reason = std::move(reason);
  return r;
}

TransitionRequest vote_comment(std::string comment) {
  TransitionRequest r;
  r.comment = std::move(comment);
  return r;
}

TransitionRequest to(PrincipalKind kind, std::string name) {
  TransitionRequest r;
  r.target = Principal{kind, std::move(name)};
  return r;
}

void expect_error(const Result<Transition>& t, const std::string& code,
                  const std::string& context) {
  ASSERT_FALSE(t) << "expected " << code;
  EXPECT_EQ(t.error().code, code) << t.error().describe();
  EXPECT_EQ(t.error().context, context) << t.error().describe();
}

TEST(LifecycleWalk, HappyPathFromRegistrationToClosure) {
  ReleaseState st = with_approvers(release_in(S::registered), ApprovalPolicy::majority);
  st.current_responsible = Principal{PrincipalKind::user, "rita"};

  auto t = act(st, A::authorize, kRita);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::group, "ops"}));
  EXPECT_TRUE(t->effects.empty());

  t = act(t->next, A::start_execution, kEve);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.executions, 1);
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_started, "1"}}));

  st = step(t->next, A::capture, kEve);
  EXPECT_EQ(st.current_responsible, (Principal{PrincipalKind::user, "eve"}));
  st = step(st, A::submit_for_test, kEve);
  st = step(st, A::submit_for_homologation, kEve);
  EXPECT_EQ(st.state, S::homologation);

  st = step(st, A::approve, kAlice, vote_comment("tested in staging"));
  EXPECT_EQ(tally(st.approval), ApprovalOutcome::pending);
  t = act(st, A::approve, kCarol);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::homologation);
  EXPECT_EQ(tally(t->next.approval), ApprovalOutcome::approved);
  EXPECT_NE(std::find(t->changes.begin(), t->changes.end(),
                      FieldChange{"approval.outcome", "pending", "approved"}),
            t->changes.end());

  t = act(t->next, A::solve, kEve, solution());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::solved);
  EXPECT_EQ(t->next.release_date, 1700000000);
  EXPECT_EQ(t->next.solution_category, "deployed");
  EXPECT_EQ(t->next.closure_text, "all hosts on 2.4.1");
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "rita"}));
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_ended, "solved"}}));

  t = act(t->next, A::close, kRita);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::closed);
  EXPECT_EQ(t->next.version, 16);
  ASSERT_EQ(t->effects.size(), 1u);
  EXPECT_EQ(t->effects[0].kind, SideEffectKind::promote_linked_cis);
  EXPECT_TRUE(allowed_actions(t->next, kEve) == std::vector<A>{A::reopen});
}

TEST(LifecycleWalk, RequesterOnlyStepsRefuseEveryoneElse) {
  struct Case {
    S state;
    A action;
  };
  for (auto c : {Case{S::registered, A::authorize}, Case{S::solved, A::close},
                 Case{S::unresolved, A::new_execution}}) {
    for (const Actor& other : {kEve, kOscar, kAlice, Actor{"", {}}}) {
      auto t = act(release_in(c.state), c.action, other);
      expect_error(t, "auth.not_requester", std::string(lifecycle_action_name(c.action)));
      EXPECT_NE(t.error().message.find("rita"), std::string::npos);
    }
    EXPECT_TRUE(act(release_in(c.state), c.action, kRita));
  }
}

TEST(LifecycleWalk, AuthorizeWithoutExecutorGroupKeepsTheResponsible) {
  ReleaseState st = release_in(S::registered);
  st.executor_group.clear();
  st.current_responsible = Principal{PrincipalKind::user, "rita"};
  auto next = step(st, A::authorize, kRita);
  EXPECT_EQ(next.current_responsible, (Principal{PrincipalKind::user, "rita"}));
}

TEST(LifecycleSolve, NeedsReleaseDateCategoryAndClosureText) {
  ReleaseState st = release_in(S::homologation);
  TransitionRequest r = solution();
  r.release_date.reset();
  expect_error(act(st, A::solve, kEve, r), "release.field_required", "release_date");
  r = solution();
  r.solution_category.clear();
  expect_error(act(st, A::solve, kEve, r), "release.field_required", "solution_category");
  r = solution();
  r.closure_text.clear();
  expect_error(act(st, A::solve, kEve, r), "release.field_required", "closure_text");
  EXPECT_TRUE(act(st, A::solve, kEve, solution()));
}

TEST(LifecycleSolve, WaitsForTheApprovalWhenApproversAreListed) {
  ReleaseState st = with_approvers(release_in(S::homologation), ApprovalPolicy::unanimity);
  expect_error(act(st, A::solve, kEve, solution()), "release.approval_required", "approval");
  st = step(st, A::approve, kAlice);
  st = step(st, A::approve, kBob);
  expect_error(act(st, A::solve, kEve, solution()), "release.approval_required", "approval");
  st = step(st, A::approve, kCarol);
  EXPECT_TRUE(act(st, A::solve, kEve, solution()));
}

TEST(LifecycleVote, RejectionByMajorityMakesTheReleaseUnresolved) {
  ReleaseState st = with_approvers(release_in(S::homologation), ApprovalPolicy::majority);
  st = step(st, A::reject, kAlice, vote_comment("smoke test fails"));
  EXPECT_EQ(st.state, S::homologation);
  auto t = act(st, A::reject, kBob, vote_comment("agreed"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, S::unresolved);
  EXPECT_EQ(t->next.unresolved_reason, "homologation rejected");
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "rita"}));
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_ended, "unresolved"}}));
  ASSERT_EQ(t->next.approval.votes.size(), 2u);
  EXPECT_EQ(t->next.approval.votes[1].comment, "agreed");
}

TEST(LifecycleVote, OneRejectionEndsAUnanimousVote) {
  ReleaseState st = with_approvers(release_in(S::homologation), ApprovalPolicy::unanimity);
  st = step(st, A::approve, kAlice);
  auto t = act(st, A::reject, kCarol, vote_comment("no"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, S::unresolved);
}

TEST(LifecycleVote, RefusesOutsidersRepeatsLateVotesAndRejectionsWithoutComment) {
  ReleaseState st = with_approvers(release_in(S::homologation), ApprovalPolicy::majority);
  expect_error(act(st, A::approve, kEve), "approval.not_an_approver", "eve");
  expect_error(act(st, A::reject, kAlice), "release.field_required", "comment");
  st = step(st, A::approve, kAlice);
  expect_error(act(st, A::approve, kAlice), "approval.already_voted", "alice");
  expect_error(act(st, A::reject, kAlice, vote_comment("changed my mind")),
               "approval.already_voted", "alice");
  st = step(st, A::approve, kBob);  // 2 of 3: approved
  expect_error(act(st, A::reject, kCarol, vote_comment("late")), "approval.decided", "carol");
}

TEST(LifecycleVote, NoApproversMeansNoVote) {
  ReleaseState st = release_in(S::homologation);
  auto t = act(st, A::approve, kAlice);
  expect_error(t, "release.illegal_transition",
               "solve,mark_unresolved,suspend,cancel,delegate,share");
}

TEST(LifecycleVote, EnteringHomologationAgainStartsAFreshVote) {
  ReleaseState st = with_approvers(release_in(S::homologation), ApprovalPolicy::majority);
  st = step(st, A::approve, kAlice);
  st = step(st, A::mark_unresolved, kEve, with_reason("found a bug"));
  st = step(st, A::new_execution, kRita);
  st = step(st, A::submit_for_test, kEve);
  st = step(st, A::submit_for_homologation, kEve);
  EXPECT_TRUE(st.approval.votes.empty());
  EXPECT_EQ(st.approval.approvers.size(), 3u);
  EXPECT_TRUE(act(st, A::approve, kAlice));
}

TEST(LifecycleUnresolved, NeedsAReasonAndGoesBackToTheRequester) {
  for (S s : {S::in_execution, S::in_test, S::homologation}) {
    ReleaseState st = release_in(s);
    expect_error(act(st, A::mark_unresolved, kEve), "release.field_required", "reason");
    auto t = act(st, A::mark_unresolved, kEve, with_reason("disk full on db01"));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->next.state, S::unresolved);
    EXPECT_EQ(t->next.unresolved_reason, "disk full on db01");
    EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "rita"}));
    EXPECT_EQ(t->effects,
              (std::vector<SideEffect>{{SideEffectKind::execution_ended, "unresolved"}}));
  }
}

TEST(LifecycleUnresolved, NewExecutionStartsTheNextExecutionRecord) {
  ReleaseState st = step(release_in(S::in_test), A::mark_unresolved, kEve, with_reason("x"));
  auto t = act(st, A::new_execution, kRita);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::in_execution);
  EXPECT_EQ(t->next.executions, 2);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::group, "ops"}));
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_started, "2"}}));
}

TEST(LifecycleSuspend, ReactivateReturnsToTheStateItWasSuspendedFrom) {
  for (S s : {S::registered, S::authorized, S::in_execution, S::in_test, S::homologation,
              S::unresolved}) {
    ReleaseState st = release_in(s);
    auto t = act(st, A::suspend, kEve, suspension("awaiting_supplier", "vendor patch due"));
    ASSERT_TRUE(t) << t.error().describe();
    EXPECT_EQ(t->next.state, S::suspended);
    EXPECT_EQ(t->next.suspended_from, s);
    EXPECT_EQ(t->next.suspension_justification, "awaiting_supplier");
    EXPECT_EQ(t->next.suspension_reason, "vendor patch due");
    expect_error(act(t->next, A::suspend, kEve, suspension("change_freeze", "again")),
                 "release.illegal_transition", "reactivate,cancel,capture,delegate,share");

    auto back = act(t->next, A::reactivate, kEve);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->next.state, s);
    EXPECT_EQ(back->to, s);
    EXPECT_FALSE(back->next.suspended_from);
    EXPECT_TRUE(back->next.suspension_justification.empty());
    EXPECT_TRUE(back->next.suspension_reason.empty());
    EXPECT_EQ(back->next.version, st.version + 2);
  }
}

TEST(LifecycleSuspend, NeedsAListedJustificationAndFreeText) {
  ReleaseState st = release_in(S::in_test);
  expect_error(act(st, A::suspend, kEve, suspension("", "text")), "release.field_required",
               "justification");
  expect_error(act(st, A::suspend, kEve, suspension("change_freeze", "")), "release.field_required",
               "reason");
  auto t = act(st, A::suspend, kEve, suspension("because", "text"));
  expect_error(t, "release.unknown_justification", "justification");
  EXPECT_NE(t.error().message.find("because"), std::string::npos);

  TransitionRequest r = suspension("budget_review", "Q3 budget");
  r.action = A::suspend;
  r.expected_version = st.version;
  LifecycleRules rules{{"budget_review"}};
  EXPECT_TRUE(apply(st, r, kEve, rules));
  EXPECT_FALSE(apply(st, r, kEve));  // not in the default list
  r.justification = "change_freeze";
  EXPECT_FALSE(apply(st, r, kEve, rules));
}

TEST(LifecycleSuspend, ReactivateWithoutRememberedStateIsRefused) {
  ReleaseState st = release_in(S::suspended);
  st.suspended_from.reset();
  expect_error(act(st, A::reactivate, kEve), "release.invalid_state", "suspended_from");
  st.suspended_from = S::suspended;
  expect_error(act(st, A::reactivate, kEve), "release.invalid_state", "suspended_from");
}

TEST(LifecycleCancel, NeedsAReasonAndEndsAnOpenExecution) {
  expect_error(act(release_in(S::registered), A::cancel, kEve), "release.field_required", "reason");
  auto t = act(release_in(S::registered), A::cancel, kEve, with_reason("no longer needed"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::cancelled);
  EXPECT_EQ(t->next.cancellation_reason, "no longer needed");
  EXPECT_TRUE(t->effects.empty());

  t = act(release_in(S::in_test), A::cancel, kEve, with_reason("superseded"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_ended, "cancelled"}}));

  ReleaseState suspended = release_in(S::suspended);  // from in_execution
  t = act(suspended, A::cancel, kEve, with_reason("superseded"));
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->next.suspended_from);
  EXPECT_EQ(t->effects.size(), 1u);
  suspended.suspended_from = S::authorized;
  t = act(suspended, A::cancel, kEve, with_reason("superseded"));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->effects.empty());

  t = act(release_in(S::unresolved), A::cancel, kEve, with_reason("given up"));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->effects.empty());
  for (const Actor& a : {kRita, kEve, kOscar}) EXPECT_TRUE(allowed_actions(t->next, a).empty());
}

TEST(LifecycleReopen, NeedsAReasonAndStartsANewExecution) {
  ReleaseState st = release_in(S::closed);
  expect_error(act(st, A::reopen, kEve), "release.field_required", "reason");
  auto t = act(st, A::reopen, kEve, with_reason("regression found in production"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.state, S::in_execution);
  EXPECT_EQ(t->next.reopen_reason, "regression found in production");
  EXPECT_FALSE(t->next.release_date);
  EXPECT_TRUE(t->next.solution_category.empty());
  EXPECT_TRUE(t->next.closure_text.empty());
  EXPECT_EQ(t->next.executions, 2);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::group, "ops"}));
  EXPECT_EQ(t->effects, (std::vector<SideEffect>{{SideEffectKind::execution_started, "2"}}));
}

TEST(LifecycleCapture, MembersOfTheExecutorOrResponsibleGroupTakeTheRelease) {
  ReleaseState st = release_in(S::in_execution);
  auto t = act(st, A::capture, kEve);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "eve"}));
  EXPECT_EQ(t->changes[1], (FieldChange{"current_responsible", "group:ops", "user:eve"}));

  expect_error(act(st, A::capture, kOscar), "auth.not_in_group", "capture");
  expect_error(act(st, A::capture, kRita), "auth.not_in_group", "capture");

  st.current_responsible = Principal{PrincipalKind::group, "dba"};
  t = act(st, A::capture, kOscar);  // oscar is in dba
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "oscar"}));

  st.current_responsible = Principal{PrincipalKind::user, "dba"};  // a user named like the group
  expect_error(act(st, A::capture, kOscar), "auth.not_in_group", "capture");
}

TEST(LifecycleDelegate, HandsTheReleaseToAUserOrAGroup) {
  ReleaseState st = release_in(S::in_test);
  auto t = act(st, A::delegate, kEve, to(PrincipalKind::group, "dba"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::group, "dba"}));
  EXPECT_EQ(t->next.state, S::in_test);
  t = act(t->next, A::delegate, kEve, to(PrincipalKind::user, "bob"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.current_responsible, (Principal{PrincipalKind::user, "bob"}));

  expect_error(act(st, A::delegate, kEve), "release.field_required", "to");
  expect_error(act(st, A::delegate, kEve, to(PrincipalKind::user, "")), "release.field_required",
               "to");
}

TEST(LifecycleShare, AddsToSharedWithOnceAndSorted) {
  ReleaseState st = release_in(S::registered);
  st = step(st, A::share, kEve, to(PrincipalKind::user, "zoe"));
  st = step(st, A::share, kEve, to(PrincipalKind::group, "dba"));
  auto t = act(st, A::share, kEve, to(PrincipalKind::user, "zoe"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next.shared_with,
            (std::vector<Principal>{{PrincipalKind::user, "zoe"}, {PrincipalKind::group, "dba"}}));
  EXPECT_EQ(t->changes, (std::vector<FieldChange>{{"version", "9", "10"}}));
  EXPECT_EQ(t->next.state, S::registered);
  expect_error(act(st, A::share, kEve), "release.field_required", "with");
}

}  // namespace
}  // namespace relman::controller
