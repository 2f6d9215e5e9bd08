// What the controller does with an agent's inventory: a full report is stored when it is what
// its hash names; a delta is applied to the stored report it builds on, and stored when the
// result is what the delta's hash names. The answer for the agent is an InventoryAck, or an
// InventoryRequest for a full report when the delta cannot be applied (the agent then starts
// over from a full report, so the two sides never drift apart silently). What a stored report
// changes in the CMDB (reconcile_plan.hpp) is applied in the same transaction; a package named
// in `blacklist` appearing on the host is audited there (inventory.blacklisted_software).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/store/store.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

namespace relman::controller {

// The answer to send (InventoryAck or InventoryRequest). Errors: inventory.hash_mismatch (a
// full report whose hash is not its content's), store errors (host.not_found, store.*).
// `report` is taken by value: its facts move into the stored form (pass it moved when done).
Result<protocol::Message> accept_inventory_report(Store& store, const std::string& agent_id,
                                                  protocol::InventoryReport report,
                                                  std::int64_t now,
                                                  const std::vector<std::string>& blacklist = {});

// Asks for a full report (reason: inventory.base_mismatch, inventory.delta_invalid,
// inventory.hash_mismatch) when the stored report is not the delta's base, the changes do not
// apply to it, or the result is not what the delta's hash names. Errors: store errors.
Result<protocol::Message> accept_inventory_delta(Store& store, const std::string& agent_id,
                                                 const protocol::InventoryDelta& delta,
                                                 std::int64_t now,
                                                 const std::vector<std::string>& blacklist = {});

// One agent's delta for accept_inventory_deltas (`delta` must outlive the call).
struct DeltaToApply {
  std::string agent_id;
  const protocol::InventoryDelta* delta = nullptr;
};

// accept_inventory_delta for several deltas at once, stored in one transaction (group commit,
// Store::update_inventories): answers[i] is deltas[i]'s answer, as accept_inventory_delta would
// give it alone; a delta that is refused or fails does not undo the others.
std::vector<Result<protocol::Message>> accept_inventory_deltas(
    Store& store, const std::vector<DeltaToApply>& deltas, std::int64_t now,
    const std::vector<std::string>& blacklist = {});

}  // namespace relman::controller
