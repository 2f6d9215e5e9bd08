// The release lifecycle (ITIL release management) as data plus one pure function: given the
// release's lifecycle fields, an action with its fields and the acting user, apply() returns
// the next state, the field changes (for the audit log) and the side effects the caller must
// carry out in the same transaction, or the reason it is refused. No store, no clock.
// The table of state × action → next state and every rule is in controller/README.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controller/releases/approval.hpp"
#include "controller/releases/principal.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

enum class LifecycleState {
  registered,
  authorized,
  in_execution,
  in_test,
  homologation,
  solved,
  unresolved,
  closed,
  suspended,
  cancelled,
};

enum class LifecycleAction {
  authorize,
  start_execution,
  submit_for_test,
  submit_for_homologation,
  approve,
  reject,
  solve,
  mark_unresolved,
  new_execution,
  close,
  suspend,
  reactivate,
  cancel,
  reopen,
  capture,
  delegate,
  share,
};

inline constexpr std::array kAllLifecycleStates = {
    LifecycleState::registered, LifecycleState::authorized,   LifecycleState::in_execution,
    LifecycleState::in_test,    LifecycleState::homologation, LifecycleState::solved,
    LifecycleState::unresolved, LifecycleState::closed,       LifecycleState::suspended,
    LifecycleState::cancelled,
};

inline constexpr std::array kAllLifecycleActions = {
    LifecycleAction::authorize,       LifecycleAction::start_execution,
    LifecycleAction::submit_for_test, LifecycleAction::submit_for_homologation,
    LifecycleAction::approve,         LifecycleAction::reject,
    LifecycleAction::solve,           LifecycleAction::mark_unresolved,
    LifecycleAction::new_execution,   LifecycleAction::close,
    LifecycleAction::suspend,         LifecycleAction::reactivate,
    LifecycleAction::cancel,          LifecycleAction::reopen,
    LifecycleAction::capture,         LifecycleAction::delegate,
    LifecycleAction::share,
};

std::string_view lifecycle_state_name(LifecycleState s);
std::optional<LifecycleState> parse_lifecycle_state(std::string_view s);
std::string_view lifecycle_action_name(LifecycleAction a);
std::optional<LifecycleAction> parse_lifecycle_action(std::string_view s);

// The lifecycle fields of one release. The store keeps them with the record; `version` is the
// optimistic lock: every transition bumps it and refuses a request made against another one.
struct ReleaseState {
  LifecycleState state = LifecycleState::registered;
  std::int64_t version = 1;
  std::string requester;       // user name; fixed at creation
  std::string executor_group;  // group name; may be empty until a release type sets it
  Principal current_responsible;
  std::vector<Principal> shared_with;            // sorted, unique
  std::optional<LifecycleState> suspended_from;  // set while suspended: where reactivate goes
  std::string suspension_justification;          // from the managed list
  std::string suspension_reason;                 // free text
  std::optional<std::int64_t> release_date;      // unix seconds, set by solve
  std::string solution_category;
  std::string closure_text;
  std::string unresolved_reason;
  std::string cancellation_reason;
  std::string reopen_reason;
  std::int64_t executions = 0;  // executions started so far (execution records are numbered)
  ApprovalBallot approval;      // votes are cleared each time the release enters homologation
};

// One requested action and the fields it carries (which ones each action needs: README).
struct TransitionRequest {
  LifecycleAction action = LifecycleAction::authorize;
  std::int64_t expected_version = 0;  // the version the client saw
  std::string comment;                // any action; the vote comment for approve/reject
  std::string reason;                 // mark_unresolved, cancel, reopen, suspend (free text)
  std::string justification;          // suspend: one of LifecycleRules::suspension_justifications
  std::optional<std::int64_t> release_date;  // solve
  std::string solution_category;             // solve
  std::string closure_text;                  // solve
  std::optional<Principal> target;           // delegate ("to") and share ("with")
};

struct Actor {
  std::string user;
  std::set<std::string, std::less<>> groups;
};

struct FieldChange {
  std::string field;
  std::string before;
  std::string after;
  bool operator==(const FieldChange&) const = default;
};

enum class SideEffectKind {
  execution_started,   // open execution record number `detail`
  execution_ended,     // close the open execution record with outcome `detail`
                       // (solved | unresolved | cancelled)
  promote_linked_cis,  // move the release's linked CIs from development to production
};

struct SideEffect {
  SideEffectKind kind;
  std::string detail;
  bool operator==(const SideEffect&) const = default;
};

std::string_view side_effect_name(SideEffectKind k);

// Is an execution running: in execution, in test or homologation, or suspended from one?
// (Executors write execution notes only then.)
bool execution_open(const ReleaseState& st);

struct Transition {
  LifecycleAction action = LifecycleAction::authorize;
  LifecycleState from = LifecycleState::registered;
  LifecycleState to = LifecycleState::registered;
  ReleaseState next;
  std::vector<FieldChange> changes;  // every lifecycle field that changed, version included
  std::vector<SideEffect> effects;
};

// Managed lists the lifecycle checks against (the store will own them; defaults for now).
struct LifecycleRules {
  std::set<std::string, std::less<>> suspension_justifications;
};
LifecycleRules default_lifecycle_rules();

// The state table alone: may `action` ever be taken in state `s`?
bool state_allows(LifecycleState s, LifecycleAction action);

// What `actor` may do now: the state table, narrowed by the actor rules (requester-only
// actions, capture by group members, votes by listed approvers who have not voted, solve only
// once the approval is approved). In kAllLifecycleActions order.
std::vector<LifecycleAction> allowed_actions(const ReleaseState& current, const Actor& actor);

// Checks, in this order: release.version_conflict; release.illegal_transition (context: the
// allowed actions for this actor, comma-separated); auth.not_requester / auth.not_in_group;
// release.field_required (context: the field); release.unknown_justification;
// approval.* and release.approval_required. Role permissions are the caller's
// (auth/permissions.hpp: permission_for(action)).
Result<Transition> apply(const ReleaseState& current, const TransitionRequest& request,
                         const Actor& actor,
                         const LifecycleRules& rules = default_lifecycle_rules());

// Descriptive fields (title, links, planning ...) may be edited unless closed or cancelled.
bool is_editable(LifecycleState s);

// Every lifecycle field that differs between two states, as text (for the audit log).
std::vector<FieldChange> diff(const ReleaseState& before, const ReleaseState& after);

}  // namespace relman::controller
