// The lifecycle table: every state × action pair, legal ones applied, illegal ones refused
// with the allowed list, and allowed_actions() agreeing with apply() for every actor.
#include "controller/releases/lifecycle.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "tests/unit/controller/lifecycle_fixtures.hpp"

namespace relman::controller {
namespace {

using namespace relman::controller::testing;
using S = LifecycleState;
using A = LifecycleAction;

// Written out independently of lifecycle.cpp: the documented table (controller/README.md).
// The value is the next state for the able actor's request (votes from one approver out of
// three leave the release in homologation).
const std::map<std::pair<S, A>, S>& expected_table() {
  static const std::map<std::pair<S, A>, S> table = [] {
    std::map<std::pair<S, A>, S> t = {
        {{S::registered, A::authorize}, S::authorized},
        {{S::authorized, A::start_execution}, S::in_execution},
        {{S::in_execution, A::submit_for_test}, S::in_test},
        {{S::in_test, A::submit_for_homologation}, S::homologation},
        {{S::homologation, A::approve}, S::homologation},
        {{S::homologation, A::reject}, S::homologation},
        {{S::homologation, A::solve}, S::solved},
        {{S::in_execution, A::mark_unresolved}, S::unresolved},
        {{S::in_test, A::mark_unresolved}, S::unresolved},
        {{S::homologation, A::mark_unresolved}, S::unresolved},
        {{S::unresolved, A::new_execution}, S::in_execution},
        {{S::solved, A::close}, S::closed},
        {{S::closed, A::reopen}, S::in_execution},
        {{S::suspended, A::reactivate}, S::in_execution},  // suspended from in_execution
    };
    for (S s : {S::registered, S::authorized, S::in_execution, S::in_test, S::homologation,
                S::unresolved}) {
      t[{s, A::suspend}] = S::suspended;
    }
    for (S s : {S::registered, S::authorized, S::in_execution, S::in_test, S::homologation,
                S::unresolved, S::suspended}) {
      t[{s, A::cancel}] = S::cancelled;
    }
    for (S s : {S::registered, S::authorized, S::in_execution, S::in_test, S::homologation,
                S::solved, S::unresolved, S::suspended}) {
      for (A a : {A::capture, A::delegate, A::share}) t[{s, a}] = s;
    }
    return t;
  }();
  return table;
}

// The release a test of (s, a) starts from: votes need approvers; solve needs none (or an
// approved vote, tested elsewhere).
ReleaseState start_for(S s, A a) {
  ReleaseState st = release_in(s);
  if (a == A::approve || a == A::reject) st = with_approvers(st, ApprovalPolicy::majority);
  return st;
}

std::string join(const std::vector<A>& actions) {
  std::string s;
  for (auto a : actions) s += (s.empty() ? "" : ",") + std::string(lifecycle_action_name(a));
  return s;
}

TEST(LifecycleTable, StateAllowsExactlyTheDocumentedPairs) {
  for (S s : kAllLifecycleStates) {
    for (A a : kAllLifecycleActions) {
      EXPECT_EQ(state_allows(s, a), expected_table().contains({s, a}))
          << lifecycle_state_name(s) << " x " << lifecycle_action_name(a);
    }
  }
}

TEST(LifecycleTable, EveryLegalTransitionLeadsToTheDocumentedStateAndBumpsTheVersion) {
  int legal = 0;
  for (const auto& [pair, to] : expected_table()) {
    auto [s, a] = pair;
    SCOPED_TRACE(std::string(lifecycle_state_name(s)) + " x " +
                 std::string(lifecycle_action_name(a)));
    auto t = apply(start_for(s, a), full_request(a), able_actor(a));
    ASSERT_TRUE(t) << t.error().describe();
    EXPECT_EQ(t->from, s);
    EXPECT_EQ(t->to, to);
    EXPECT_EQ(t->next.state, to);
    EXPECT_EQ(t->action, a);
    EXPECT_EQ(t->next.version, 8);
    EXPECT_NE(std::find(t->changes.begin(), t->changes.end(), FieldChange{"version", "7", "8"}),
              t->changes.end());
    ++legal;
  }
  EXPECT_EQ(legal, 14 + 6 + 7 + 24);
}

TEST(LifecycleTable, EveryIllegalTransitionIsRefusedWithTheAllowedActions) {
  int illegal = 0;
  for (S s : kAllLifecycleStates) {
    for (A a : kAllLifecycleActions) {
      if (expected_table().contains({s, a})) continue;
      SCOPED_TRACE(std::string(lifecycle_state_name(s)) + " x " +
                   std::string(lifecycle_action_name(a)));
      for (const Actor& actor : {kRita, kEve, kOscar, kAlice}) {
        ReleaseState st = start_for(s, a);
        auto t = apply(st, full_request(a), actor);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, "release.illegal_transition");
        EXPECT_EQ(t.error().context, join(allowed_actions(st, actor)));
        EXPECT_NE(t.error().message.find(lifecycle_action_name(a)), std::string::npos);
        EXPECT_NE(t.error().message.find(lifecycle_state_name(s)), std::string::npos);
      }
      ++illegal;
    }
  }
  EXPECT_EQ(illegal, 10 * 17 - 51);
}

TEST(LifecycleTable, IllegalTransitionListsWhatThisActorMayDo) {
  auto t = apply(release_in(S::registered), full_request(A::close), kRita);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().context, "authorize,suspend,cancel,delegate,share");
  EXPECT_NE(t.error().message.find("allowed: authorize,suspend"), std::string::npos);

  t = apply(release_in(S::in_execution), full_request(A::close), kEve);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().context,
            "submit_for_test,mark_unresolved,suspend,cancel,capture,delegate,share");

  t = apply(release_in(S::cancelled), full_request(A::reopen), kRita);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().context, "");
  EXPECT_NE(t.error().message.find("nothing is"), std::string::npos);
}

// The contract the API relies on: what allowed_actions() lists is exactly what apply() accepts
// (given the fields an action needs), for every state, action and kind of actor.
TEST(LifecycleTable, AllowedActionsAgreeWithApplyForEveryActor) {
  std::vector<ReleaseState> starts;
  for (S s : kAllLifecycleStates) {
    starts.push_back(release_in(s));
    starts.push_back(with_approvers(release_in(s), ApprovalPolicy::majority));
    starts.push_back(with_approvers(release_in(s), ApprovalPolicy::unanimity));
  }
  ReleaseState voted = with_approvers(release_in(S::homologation), ApprovalPolicy::majority);
  voted.approval.votes = {{"alice", VoteChoice::approve, ""}};
  starts.push_back(voted);
  voted.approval.votes.push_back({"bob", VoteChoice::approve, ""});  // approved
  starts.push_back(voted);
  ReleaseState delegated = release_in(S::in_test);
  delegated.current_responsible = Principal{PrincipalKind::group, "dba"};
  starts.push_back(delegated);

  for (const auto& st : starts) {
    for (const Actor& actor : {kRita, kEve, kOscar, kAlice, kBob, kCarol}) {
      auto allowed = allowed_actions(st, actor);
      for (A a : kAllLifecycleActions) {
        bool listed = std::find(allowed.begin(), allowed.end(), a) != allowed.end();
        auto t = apply(st, full_request(a), actor);
        EXPECT_EQ(listed, t.has_value())
            << lifecycle_state_name(st.state) << " x " << lifecycle_action_name(a) << " by "
            << actor.user << (t ? "" : ": " + t.error().describe());
      }
    }
  }
}

TEST(LifecycleVersion, StaleVersionIsRefusedBeforeAnythingElse) {
  for (S s : kAllLifecycleStates) {
    for (A a : kAllLifecycleActions) {
      for (std::int64_t v : {6, 8, 0}) {
        auto t = apply(start_for(s, a), full_request(a, v), able_actor(a));
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, "release.version_conflict");
        EXPECT_EQ(t.error().context, "version");
        EXPECT_NE(t.error().message.find("version 7"), std::string::npos);
      }
    }
  }
}

TEST(LifecycleVersion, ChainedTransitionsNeedTheNewVersion) {
  auto t = apply(release_in(S::registered), full_request(A::authorize, 7), kRita);
  ASSERT_TRUE(t);
  auto again = apply(t->next, full_request(A::start_execution, 7), kEve);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "release.version_conflict");
  auto next = apply(t->next, full_request(A::start_execution, 8), kEve);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->next.version, 9);
}

TEST(LifecycleNames, RoundTripAndRefuseUnknown) {
  for (S s : kAllLifecycleStates) EXPECT_EQ(parse_lifecycle_state(lifecycle_state_name(s)), s);
  for (A a : kAllLifecycleActions) EXPECT_EQ(parse_lifecycle_action(lifecycle_action_name(a)), a);
  EXPECT_EQ(parse_lifecycle_state("in execution"), std::nullopt);
  EXPECT_EQ(parse_lifecycle_state("Registered"), std::nullopt);
  EXPECT_EQ(parse_lifecycle_action("approve "), std::nullopt);
  EXPECT_EQ(parse_lifecycle_action(""), std::nullopt);
  EXPECT_EQ(lifecycle_state_name(S::in_execution), "in_execution");
  EXPECT_EQ(lifecycle_action_name(A::submit_for_homologation), "submit_for_homologation");
  EXPECT_EQ(side_effect_name(SideEffectKind::promote_linked_cis), "promote_linked_cis");
}

TEST(LifecycleEditing, ClosedAndCancelledReleasesAreNotEditable) {
  for (S s : kAllLifecycleStates) {
    EXPECT_EQ(is_editable(s), s != S::closed && s != S::cancelled) << lifecycle_state_name(s);
  }
}

TEST(LifecycleDiff, NamesEveryChangedFieldWithBeforeAndAfter) {
  ReleaseState a = release_in(S::registered);
  ReleaseState b = a;
  EXPECT_TRUE(diff(a, b).empty());
  b.state = S::authorized;
  b.shared_with = {{PrincipalKind::group, "dba"}, {PrincipalKind::user, "bob"}};
  b.release_date = 5;
  auto changes = diff(a, b);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0], (FieldChange{"state", "registered", "authorized"}));
  EXPECT_EQ(changes[1], (FieldChange{"shared_with", "", "group:dba,user:bob"}));
  EXPECT_EQ(changes[2], (FieldChange{"release_date", "", "5"}));
}

}  // namespace
}  // namespace relman::controller
