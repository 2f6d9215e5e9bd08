#include "controller/releases/approval.hpp"

#include <algorithm>

namespace relman::controller {

std::string_view approval_policy_name(ApprovalPolicy p) {
  return p == ApprovalPolicy::majority ? "majority" : "unanimity";
}

std::optional<ApprovalPolicy> parse_approval_policy(std::string_view s) {
  if (s == "majority") return ApprovalPolicy::majority;
  if (s == "unanimity") return ApprovalPolicy::unanimity;
  return std::nullopt;
}

std::string_view vote_choice_name(VoteChoice c) {
  return c == VoteChoice::approve ? "approve" : "reject";
}

std::optional<VoteChoice> parse_vote_choice(std::string_view s) {
  if (s == "approve") return VoteChoice::approve;
  if (s == "reject") return VoteChoice::reject;
  return std::nullopt;
}

std::string_view approval_outcome_name(ApprovalOutcome o) {
  switch (o) {
    case ApprovalOutcome::pending:
      return "pending";
    case ApprovalOutcome::approved:
      return "approved";
    case ApprovalOutcome::rejected:
      return "rejected";
  }
  return "pending";
}

Result<ApprovalBallot> make_ballot(ApprovalPolicy policy, std::vector<std::string> approvers) {
  if (approvers.size() > kMaxApprovers) {
    return fail("approval.too_many_approvers",
                "a release can have at most " + std::to_string(kMaxApprovers) + " approvers",
                "approvers");
  }
  for (const auto& a : approvers) {
    if (a.empty())
      return fail("approval.invalid_approver", "approver names must not be empty", "approvers");
  }
  std::sort(approvers.begin(), approvers.end());
  auto dup = std::adjacent_find(approvers.begin(), approvers.end());
  if (dup != approvers.end()) {
    return fail("approval.duplicate_approver", "approver '" + *dup + "' is listed twice",
                "approvers");
  }
  return ApprovalBallot{policy, std::move(approvers), {}};
}

ApprovalOutcome tally(const ApprovalBallot& ballot) {
  const std::size_t n = ballot.approvers.size();
  if (n == 0) return ApprovalOutcome::approved;
  std::size_t approvals = 0;
  std::size_t rejections = 0;
  for (const auto& v : ballot.votes) {
    (v.choice == VoteChoice::approve ? approvals : rejections) += 1;
  }
  const std::size_t remaining = n - std::min(n, approvals + rejections);
  if (ballot.policy == ApprovalPolicy::unanimity) {
    if (rejections > 0) return ApprovalOutcome::rejected;
    return approvals >= n ? ApprovalOutcome::approved : ApprovalOutcome::pending;
  }
  // Majority of all listed approvers, not of the votes cast: silence is not consent.
  if (2 * approvals > n) return ApprovalOutcome::approved;
  if (2 * (approvals + remaining) <= n) return ApprovalOutcome::rejected;
  return ApprovalOutcome::pending;
}

static bool is_approver(const ApprovalBallot& ballot, std::string_view user) {
  return std::binary_search(ballot.approvers.begin(), ballot.approvers.end(), user);
}

static bool has_voted(const ApprovalBallot& ballot, std::string_view user) {
  return std::any_of(ballot.votes.begin(), ballot.votes.end(),
                     [&](const ApprovalVote& v) { return v.approver == user; });
}

bool may_vote(const ApprovalBallot& ballot, std::string_view user) {
  return tally(ballot) == ApprovalOutcome::pending && is_approver(ballot, user) &&
         !has_voted(ballot, user);
}

Result<ApprovalBallot> cast_vote(const ApprovalBallot& ballot, std::string_view approver,
                                 VoteChoice choice, std::string comment) {
  if (tally(ballot) != ApprovalOutcome::pending) {
    return fail("approval.decided",
                "the approval is already " + std::string(approval_outcome_name(tally(ballot))) +
                    "; no more votes are taken",
                std::string(approver));
  }
  if (!is_approver(ballot, approver)) {
    return fail("approval.not_an_approver", "only the listed approvers can vote",
                std::string(approver));
  }
  if (has_voted(ballot, approver)) {
    return fail("approval.already_voted", "each approver votes once", std::string(approver));
  }
  ApprovalBallot next = ballot;
  next.votes.push_back(ApprovalVote{std::string(approver), choice, std::move(comment)});
  return next;
}

}  // namespace relman::controller
