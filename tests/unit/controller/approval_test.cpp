#include "controller/releases/approval.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relman::controller {
namespace {

ApprovalBallot ballot(ApprovalPolicy policy, std::vector<std::string> approvers) {
  auto b = make_ballot(policy, std::move(approvers));
  EXPECT_TRUE(b) << b.error().describe();
  return b ? *b : ApprovalBallot{};
}

// Casts the votes in order ('a' approve, 'r' reject) by approvers a0, a1, ... and returns the
// outcome after each one.
std::string outcomes(ApprovalPolicy policy, int n, std::string_view votes) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("a" + std::to_string(i));
  ApprovalBallot b = ballot(policy, names);
  std::string out;
  for (std::size_t i = 0; i < votes.size(); ++i) {
    auto next =
        cast_vote(b, names[i], votes[i] == 'a' ? VoteChoice::approve : VoteChoice::reject, "");
    if (!next) return out + "!" + next.error().code;
    b = *next;
    out += approval_outcome_name(tally(b)).substr(0, 1);  // p, a or r
  }
  return out;
}

TEST(ApprovalTally, MajorityDecidesAsSoonAsTheOutcomeCannotChange) {
  using P = ApprovalPolicy;
  EXPECT_EQ(outcomes(P::majority, 3, "aa"), "pa");
  EXPECT_EQ(outcomes(P::majority, 3, "rr"), "pr");
  EXPECT_EQ(outcomes(P::majority, 3, "ara"), "ppa");
  EXPECT_EQ(outcomes(P::majority, 3, "rar"), "ppr");
  EXPECT_EQ(outcomes(P::majority, 1, "a"), "a");
  EXPECT_EQ(outcomes(P::majority, 1, "r"), "r");
  // Even counts: a tie is not a majority, so two rejections of four decide.
  EXPECT_EQ(outcomes(P::majority, 4, "arr"), "ppr");
  EXPECT_EQ(outcomes(P::majority, 4, "aar"), "ppp");
  EXPECT_EQ(outcomes(P::majority, 4, "rr"), "pr");
  EXPECT_EQ(outcomes(P::majority, 4, "aaa"), "ppa");
  EXPECT_EQ(outcomes(P::majority, 5, "aarra"), "ppppa");
  EXPECT_EQ(outcomes(P::majority, 5, "rrr"), "ppr");
  EXPECT_EQ(outcomes(P::majority, 3, "aaa"), "pa!approval.decided");
}

TEST(ApprovalTally, UnanimityNeedsEveryApproverAndFailsAtTheFirstRejection) {
  using P = ApprovalPolicy;
  EXPECT_EQ(outcomes(P::unanimity, 3, "aaa"), "ppa");
  EXPECT_EQ(outcomes(P::unanimity, 3, "r"), "r");
  EXPECT_EQ(outcomes(P::unanimity, 3, "aar"), "ppr");
  EXPECT_EQ(outcomes(P::unanimity, 1, "a"), "a");
}

TEST(ApprovalTally, NoApproversNeedsNoVote) {
  EXPECT_EQ(tally(ballot(ApprovalPolicy::majority, {})), ApprovalOutcome::approved);
  EXPECT_EQ(tally(ballot(ApprovalPolicy::unanimity, {})), ApprovalOutcome::approved);
}

TEST(ApprovalVote, OnlyListedApproversVoteOnceWhileThePollIsOpen) {
  ApprovalBallot b = ballot(ApprovalPolicy::majority, {"carol", "alice", "bob"});
  EXPECT_TRUE(may_vote(b, "alice"));
  EXPECT_FALSE(may_vote(b, "mallory"));

  auto r = cast_vote(b, "mallory", VoteChoice::approve, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "approval.not_an_approver");
  EXPECT_EQ(r.error().context, "mallory");
  r = cast_vote(b, "Alice", VoteChoice::approve, "");  // names are exact
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "approval.not_an_approver");

  auto voted = cast_vote(b, "alice", VoteChoice::reject, "needs load test");
  ASSERT_TRUE(voted);
  ASSERT_EQ(voted->votes.size(), 1u);
  EXPECT_EQ(voted->votes[0].approver, "alice");
  EXPECT_EQ(voted->votes[0].choice, VoteChoice::reject);
  EXPECT_EQ(voted->votes[0].comment, "needs load test");
  EXPECT_FALSE(may_vote(*voted, "alice"));
  EXPECT_TRUE(b.votes.empty());  // the input is not changed

  r = cast_vote(*voted, "alice", VoteChoice::approve, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "approval.already_voted");

  auto decided = cast_vote(*voted, "bob", VoteChoice::reject, "");
  ASSERT_TRUE(decided);
  EXPECT_EQ(tally(*decided), ApprovalOutcome::rejected);
  EXPECT_FALSE(may_vote(*decided, "carol"));
  r = cast_vote(*decided, "carol", VoteChoice::approve, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "approval.decided");
  EXPECT_NE(r.error().message.find("rejected"), std::string::npos);
}

TEST(ApprovalBallotCheck, RefusesEmptyDuplicateAndTooManyApprovers) {
  auto b = make_ballot(ApprovalPolicy::majority, {"bob", "alice"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->approvers, (std::vector<std::string>{"alice", "bob"}));

  b = make_ballot(ApprovalPolicy::majority, {"alice", ""});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, "approval.invalid_approver");
  b = make_ballot(ApprovalPolicy::majority, {"bob", "alice", "bob"});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, "approval.duplicate_approver");
  EXPECT_NE(b.error().message.find("bob"), std::string::npos);

  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kMaxApprovers; ++i) many.push_back("u" + std::to_string(i));
  b = make_ballot(ApprovalPolicy::majority, many);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, "approval.too_many_approvers");
  many.pop_back();
  EXPECT_TRUE(make_ballot(ApprovalPolicy::majority, many));
}

TEST(ApprovalNames, RoundTripAndRefuseUnknown) {
  for (auto p : {ApprovalPolicy::majority, ApprovalPolicy::unanimity}) {
    EXPECT_EQ(parse_approval_policy(approval_policy_name(p)), p);
  }
  for (auto c : {VoteChoice::approve, VoteChoice::reject}) {
    EXPECT_EQ(parse_vote_choice(vote_choice_name(c)), c);
  }
  EXPECT_EQ(parse_approval_policy("consensus"), std::nullopt);
  EXPECT_EQ(parse_vote_choice("abstain"), std::nullopt);
  EXPECT_EQ(approval_outcome_name(ApprovalOutcome::pending), "pending");
}

}  // namespace
}  // namespace relman::controller
