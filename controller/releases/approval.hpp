// Homologation approval: several listed approvers vote once each (approve or reject, with a
// comment); the policy (majority or unanimity) turns the votes into an outcome, decided as
// soon as the remaining votes can no longer change it. Pure values, no store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller {

enum class ApprovalPolicy { majority, unanimity };
enum class VoteChoice { approve, reject };
enum class ApprovalOutcome { pending, approved, rejected };

inline constexpr std::size_t kMaxApprovers = 50;

struct ApprovalVote {
  std::string approver;  // user name
  VoteChoice choice = VoteChoice::approve;
  std::string comment;
};

struct ApprovalBallot {
  ApprovalPolicy policy = ApprovalPolicy::majority;
  std::vector<std::string> approvers;  // sorted, unique; empty: no vote required
  std::vector<ApprovalVote> votes;     // in the order they were cast
};

std::string_view approval_policy_name(ApprovalPolicy p);
std::optional<ApprovalPolicy> parse_approval_policy(std::string_view s);
std::string_view vote_choice_name(VoteChoice c);
std::optional<VoteChoice> parse_vote_choice(std::string_view s);
std::string_view approval_outcome_name(ApprovalOutcome o);

// A ballot with no votes. Refuses empty names (approval.invalid_approver), duplicates
// (approval.duplicate_approver) and more than kMaxApprovers (approval.too_many_approvers).
Result<ApprovalBallot> make_ballot(ApprovalPolicy policy, std::vector<std::string> approvers);

// majority: approved once approvals > half of the approvers; rejected once that can no longer
// happen (so a tie rejects). unanimity: rejected at the first reject; approved when every
// approver approved. No approvers: approved (nothing to vote on).
ApprovalOutcome tally(const ApprovalBallot& ballot);

// True when `user` is a listed approver who has not voted yet.
bool may_vote(const ApprovalBallot& ballot, std::string_view user);

// Records one vote. Refusals: approval.decided (the outcome is no longer pending),
// approval.not_an_approver, approval.already_voted.
Result<ApprovalBallot> cast_vote(const ApprovalBallot& ballot, std::string_view approver,
                                 VoteChoice choice, std::string comment);

}  // namespace relman::controller
