// The agent's connection to the controller: one coroutine that connects, says hello, sends
// inventory and heartbeats, and hands deploy orders to the installer worker; on any failure it
// waits (jittered exponential backoff) and starts over.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "agent/config.hpp"
#include "agent/installer/installer.hpp"
#include "agent/link/inventory_reporter.hpp"
#include "protocol/asio.hpp"
#include "protocol/wss_client.hpp"

namespace relman::agent {

class ControllerLink {
 public:
  ControllerLink(asio::io_context& ioc, const AgentConfig& config,
                 std::shared_ptr<asio::ssl::context> tls, Installer& installer,
                 asio::thread_pool& worker);

  // Runs forever (until the io_context stops).
  awaitable<void> run();

 private:
  awaitable<Result<void>> session();
  awaitable<void> heartbeats(std::shared_ptr<protocol::WssClient> link,
                             std::shared_ptr<bool> alive);
  void start_order(const protocol::DeployOrderMessage& order);
  void send(const protocol::Message& message);
  // Collects the inventory now and returns the report or delta to send.
  protocol::Message inventory_message(bool full);

  asio::io_context& ioc_;
  const AgentConfig& config_;
  std::shared_ptr<asio::ssl::context> tls_;
  Installer& installer_;
  asio::thread_pool& worker_;
  std::shared_ptr<protocol::WssClient> link_;  // set while a session is up
  std::set<std::string> in_flight_;            // order ids queued or running
  InventoryReporter reporter_;                 // kept across sessions
};

}  // namespace relman::agent
