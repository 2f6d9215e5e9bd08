// The agent side of the controller: one coroutine per connected agent. The agent's identity is
// the client certificate's CN (checked by the server before serve() is called); the hello must
// name the same id. Orders are signed and written to the store before they are sent, and an
// order that was sent but not finished is re-sent verbatim (same order id) when the agent
// reconnects, so an agent never receives two different orders for one target.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controller/deploy/order_signer.hpp"
#include "controller/inventory/inventory_writer.hpp"
#include "controller/store/store.hpp"
#include "protocol/asio.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

// One WebSocket message stream; implemented over Beast in api/http_server.cpp.
class AgentChannel {
 public:
  virtual ~AgentChannel() = default;
  virtual awaitable<Result<std::string>> read() = 0;
  // GCC 12 destroys some temporaries in a co_await expression twice: pass named values.
  virtual awaitable<Result<void>> write(const std::string& text) = 0;
  virtual awaitable<void> close(const std::string& reason) = 0;
  // Drops the connection at once (pending reads and writes fail); call on its executor.
  virtual void abort() = 0;
};

class AgentGateway {
 public:
  AgentGateway(Store& store, const OrderSigner& signer, asio::thread_pool& blocking,
               std::chrono::seconds hello_timeout = std::chrono::seconds(30));

  // Runs one agent connection until it ends. Runs on the connection's strand.
  awaitable<void> serve(std::shared_ptr<AgentChannel> channel, std::string agent_id);

  // There may be new work for this host (thread-safe; no-op when it is not connected).
  void notify(const std::string& host_id);
  bool is_connected(const std::string& host_id);
  // Asks the host for an inventory report now (a full one when `full`, else a delta); false
  // when it is not connected (thread-safe).
  bool request_inventory(const std::string& host_id, bool full);
  // Package names whose appearance on a host is audited (set before serving).
  void set_software_blacklist(std::vector<std::string> names) {
    deltas_.set_blacklist(names);
    blacklist_ = std::move(names);
  }

 private:
  struct Connection;
  awaitable<void> writer(std::shared_ptr<Connection> conn);
  awaitable<void> handle(Connection& conn, const std::string& text);
  void unregister(const std::shared_ptr<Connection>& conn);

  Store& store_;
  const OrderSigner& signer_;
  asio::thread_pool& blocking_;
  std::chrono::seconds hello_timeout_;
  std::vector<std::string> blacklist_;
  std::mutex mu_;  // guards connections_ only
  std::map<std::string, std::shared_ptr<Connection>> connections_;
  // Stores agents' deltas, several to a transaction when they arrive together. Last: stopped
  // (every queued delta answered) before the members above go.
  InventoryWriter deltas_{store_};
};

}  // namespace relman::controller
