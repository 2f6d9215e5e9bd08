#include "controller/gateway/agent_gateway.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "controller/blocking.hpp"
#include "controller/inventory/inventory_intake.hpp"
#include "protocol/clock.hpp"
#include "protocol/messages.hpp"

namespace relman::controller {
namespace {
// Queues `delta` (moved out) on the writer and resumes the calling coroutine on its own
// executor with the answer (the writer answers on its thread).
awaitable<Result<protocol::Message>> stored_by(InventoryWriter& writer, const std::string& agent_id,
                                               protocol::InventoryDelta& delta) {
  auto initiate = [&](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    // The caller's executor, kept busy until the answer is back on it.
    auto ex = asio::prefer(asio::get_associated_executor(*shared),
                           asio::execution::outstanding_work.tracked);
    writer.submit(agent_id, std::move(delta), [shared, ex](Result<protocol::Message> answer) {
      asio::post(ex,
                 [shared, answer = std::move(answer)]() mutable { (*shared)(std::move(answer)); });
    });
  };
  auto answer = asio::async_initiate<decltype(use_awaitable), void(Result<protocol::Message>)>(
      initiate, use_awaitable);
  co_return co_await std::move(answer);
}

std::string error_text(const protocol::ErrorMessage& e) {
  return protocol::encode_message(protocol::Message{e});
}
}  // namespace

struct AgentGateway::Connection {
  Connection(std::shared_ptr<AgentChannel> ch, std::string id, asio::any_io_executor ex)
      : channel(std::move(ch)), agent_id(std::move(id)), executor(ex), wake(ex) {
    wake.expires_at(std::chrono::steady_clock::time_point::max());
  }
  std::shared_ptr<AgentChannel> channel;
  std::string agent_id;
  asio::any_io_executor executor;  // the connection's strand
  asio::steady_timer wake;         // cancelled to wake the writer
  bool closed = false;
  bool check_deliveries = true;
  std::set<std::string> sent_orders;  // order ids sent on this connection
  std::deque<std::string> outbox;
};

AgentGateway::AgentGateway(Store& store, const OrderSigner& signer, asio::thread_pool& blocking,
                           std::chrono::seconds hello_timeout)
    : store_(store), signer_(signer), blocking_(blocking), hello_timeout_(hello_timeout) {}

void AgentGateway::notify(const std::string& host_id) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = connections_.find(host_id);
    if (it == connections_.end()) return;
    conn = it->second;
  }
  asio::post(conn->executor, [conn] {
    conn->check_deliveries = true;
    conn->wake.cancel();
  });
}

bool AgentGateway::request_inventory(const std::string& host_id, bool full) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = connections_.find(host_id);
    if (it == connections_.end()) return false;
    conn = it->second;
  }
  auto text = protocol::encode_message(protocol::InventoryRequest{full, ""});
  asio::post(conn->executor, [conn, text = std::move(text)]() mutable {
    conn->outbox.push_back(std::move(text));
    conn->wake.cancel();
  });
  return true;
}

bool AgentGateway::is_connected(const std::string& host_id) {
  std::lock_guard lock(mu_);
  return connections_.contains(host_id);
}

void AgentGateway::unregister(const std::shared_ptr<Connection>& conn) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(conn->agent_id);
  if (it != connections_.end() && it->second == conn) connections_.erase(it);
}

awaitable<void> AgentGateway::serve(std::shared_ptr<AgentChannel> channel, std::string agent_id) {
  auto ex = co_await asio::this_coro::executor;
  // 1. The hello: the first message, naming the certificate's agent id, within the deadline
  //    (WebSocket pings alone would keep a silent peer connected for ever).
  asio::steady_timer hello_deadline(ex, hello_timeout_);
  hello_deadline.async_wait([channel, agent_id](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::warn("agent {}: no hello in time; closing", agent_id);
    channel->abort();
  });
  auto first = co_await channel->read();
  hello_deadline.cancel();
  if (!first) {
    spdlog::warn("agent {}: connection ended before hello: {}", agent_id, first.error().describe());
    co_return;
  }
  auto msg = protocol::decode_message(*first);
  const protocol::Hello* hello = msg ? std::get_if<protocol::Hello>(&*msg) : nullptr;
  if (!hello) {
    Error e = msg ? Error{"protocol.expected_hello", "the first message must be a hello", ""}
                  : msg.error();
    spdlog::warn("agent {}: refused: {}", agent_id, e.describe());
    const auto text = error_text({e.code, e.message});
    co_await channel->write(text);
    co_await channel->close(e.code);
    co_return;
  }
  if (hello->agent_id != agent_id) {
    std::string m =
        "hello names agent '" + hello->agent_id + "' but the certificate is for '" + agent_id + "'";
    spdlog::warn("agent {}: refused: agent.id_mismatch: {}", agent_id, m);
    const auto text = error_text({"agent.id_mismatch", m});
    const std::string code = "agent.id_mismatch";
    co_await channel->write(text);
    co_await channel->close(code);
    co_return;
  }
  auto version = protocol::negotiate_version(hello->protocol_versions);
  if (!version) {
    spdlog::warn("agent {}: refused: {}", agent_id, version.error().describe());
    const auto text = error_text({version.error().code, version.error().message});
    co_await channel->write(text);
    co_await channel->close(version.error().code);
    co_return;
  }
  auto seen = co_await run_blocking(
      blocking_, [&] { return store_.host_connected(agent_id, unix_seconds()); });
  if (!seen) {
    spdlog::error("agent {}: cannot record the connection: {}", agent_id, seen.error().describe());
    const std::string code = "controller.store_error";
    co_await channel->close(code);
    co_return;
  }
  const auto ack_text =
      protocol::encode_message(protocol::Message{protocol::HelloAck{*version, "0.1.0"}});
  auto ack = co_await channel->write(ack_text);
  if (!ack) co_return;

  // 2. Register (replacing an older connection of the same agent) and start the writer.
  auto conn = std::make_shared<Connection>(channel, agent_id, ex);
  std::shared_ptr<Connection> previous;
  {
    std::lock_guard lock(mu_);
    auto& slot = connections_[agent_id];
    previous = slot;
    slot = conn;
  }
  if (previous) {
    asio::post(previous->executor, [previous] {
      previous->closed = true;
      previous->wake.cancel();
      previous->channel->abort();
    });
  }
  spdlog::info("agent {}: connected (protocol {}, agent {})", agent_id, *version,
               hello->agent_version);
  asio::co_spawn(ex, writer(conn), asio::detached);

  // 3. Read until the connection ends.
  for (;;) {
    auto text = co_await channel->read();
    if (!text) {
      spdlog::info("agent {}: disconnected: {}", agent_id, text.error().describe());
      break;
    }
    co_await handle(*conn, *text);
  }
  conn->closed = true;
  conn->wake.cancel();
  unregister(conn);
  if (!is_connected(agent_id)) {
    co_await run_blocking(blocking_,
                          [&] { return store_.host_disconnected(agent_id, unix_seconds()); });
  }
}

awaitable<void> AgentGateway::handle(Connection& conn, const std::string& text) {
  auto msg = protocol::decode_message(text);
  if (!msg) {
    spdlog::warn("agent {}: bad message: {}", conn.agent_id, msg.error().describe());
    conn.outbox.push_back(error_text({msg.error().code, msg.error().describe()}));
    conn.wake.cancel();
    co_return;
  }
  const std::string& id = conn.agent_id;
  Result<void> stored = ok();
  if (std::holds_alternative<protocol::InventoryReport>(*msg) ||
      std::holds_alternative<protocol::InventoryDelta>(*msg)) {
    // Storing a report parses and hashes up to kMaxInventoryBytes of JSON: off the network
    // threads. Deltas go to the writer, which stores those that arrive together in one
    // transaction. Messages of one connection are handled in order, so deltas apply in order.
    Result<protocol::Message> answer = fail("inventory.not_stored", "not stored");
    if (auto* inv = std::get_if<protocol::InventoryReport>(&*msg)) {
      answer = co_await run_blocking(blocking_, [&] {
        return accept_inventory_report(store_, id, std::move(*inv), unix_seconds(), blacklist_);
      });
    } else {
      auto& delta = std::get<protocol::InventoryDelta>(*msg);
      answer = co_await stored_by(deltas_, id, delta);
    }
    if (answer) {
      conn.outbox.push_back(protocol::encode_message(*answer));
      conn.wake.cancel();
    } else {
      stored = fail(answer.error());
    }
  } else if (auto* p = std::get_if<protocol::DeployProgress>(&*msg)) {
    stored = co_await run_blocking(blocking_, [&] {
      return store_.record_progress(id, p->order_id, p->phase, p->bytes_done, p->bytes_total,
                                    unix_seconds());
    });
  } else if (auto* r = std::get_if<protocol::DeployResult>(&*msg)) {
    spdlog::info("agent {}: order {} {}{}{}", id, r->order_id, r->status,
                 r->code.empty() ? "" : ": ", r->code.empty() ? "" : r->code + " " + r->message);
    stored = co_await run_blocking(blocking_, [&] {
      return store_.record_result(id, r->order_id, r->status == "succeeded", r->code, r->message,
                                  r->installed_version, r->phase, r->output, unix_seconds());
    });
    if (!stored && stored.error().code == "deploy.already_finished") stored = ok();  // a repeat
  } else if (std::get_if<protocol::Heartbeat>(&*msg)) {
    stored =
        co_await run_blocking(blocking_, [&] { return store_.host_connected(id, unix_seconds()); });
  } else if (auto* e = std::get_if<protocol::ErrorMessage>(&*msg)) {
    spdlog::warn("agent {}: reports error {}: {}", id, e->code, e->message);
  } else {
    stored = fail("protocol.unexpected_message",
                  "agents do not send '" + std::string(protocol::message_type(*msg)) + "'");
  }
  if (!stored) {
    spdlog::warn("agent {}: message refused: {}", id, stored.error().describe());
    conn.outbox.push_back(error_text({stored.error().code, stored.error().describe()}));
    conn.wake.cancel();
  }
}

awaitable<void> AgentGateway::writer(std::shared_ptr<Connection> conn) {
  while (!conn->closed) {
    if (conn->check_deliveries) {
      conn->check_deliveries = false;
      auto deliveries =
          co_await run_blocking(blocking_, [&] { return store_.open_deliveries(conn->agent_id); });
      if (!deliveries) {
        spdlog::error("agent {}: cannot read deliveries: {}", conn->agent_id,
                      deliveries.error().describe());
      } else {
        for (const auto& d : *deliveries) {
          if (d.target.status == "pending") {
            auto now = unix_seconds();
            if (d.deployment.expires_at <= now) {
              co_await run_blocking(blocking_, [&] {
                return store_.fail_target(d.target.id, "deploy.expired_before_delivery",
                                          "the deployment's deadline passed before the host "
                                          "was reachable",
                                          now);
              });
              continue;
            }
            auto order = signer_.make_order(d, now);
            std::string text = protocol::encode_message(protocol::Message{order});
            // Write-ahead: the signed order is stored before it leaves.
            auto rec = co_await run_blocking(blocking_, [&] {
              return store_.record_order(d.target.id, order.order.order_id, text, now);
            });
            if (!rec) {
              spdlog::error("agent {}: cannot record order: {}", conn->agent_id,
                            rec.error().describe());
              continue;
            }
            spdlog::info("agent {}: sending order {} ({} {}) for deployment {}", conn->agent_id,
                         order.order.order_id, d.package.name, d.package.version, d.deployment.id);
            conn->sent_orders.insert(order.order.order_id);
            conn->outbox.push_back(std::move(text));
          } else if (!conn->sent_orders.contains(d.target.order_id)) {
            spdlog::info("agent {}: re-sending order {}", conn->agent_id, d.target.order_id);
            conn->sent_orders.insert(d.target.order_id);
            conn->outbox.push_back(d.target.order_message);
          }
        }
      }
    }
    while (!conn->outbox.empty() && !conn->closed) {
      std::string text = std::move(conn->outbox.front());
      conn->outbox.pop_front();
      auto w = co_await conn->channel->write(text);
      if (!w) {
        conn->closed = true;
        break;
      }
    }
    if (conn->closed || conn->check_deliveries) continue;
    boost::system::error_code ec;
    co_await conn->wake.async_wait(asio::redirect_error(use_awaitable, ec));
    conn->wake.expires_at(std::chrono::steady_clock::time_point::max());
  }
}

}  // namespace relman::controller
