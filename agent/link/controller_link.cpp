#include "agent/link/controller_link.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include <spdlog/spdlog.h>

#include "agent/inventory/inventory_report.hpp"
#include "protocol/clock.hpp"
#include "protocol/messages.hpp"

namespace relman::agent {
namespace {
constexpr std::string_view kAgentVersion = "0.1.0";

}  // namespace

ControllerLink::ControllerLink(asio::io_context& ioc, const AgentConfig& config,
                               std::shared_ptr<asio::ssl::context> tls, Installer& installer,
                               asio::thread_pool& worker)
    : ioc_(ioc), config_(config), tls_(std::move(tls)), installer_(installer), worker_(worker) {}

awaitable<void> ControllerLink::run() {
  std::mt19937_64 rng(std::random_device{}());
  int failures = 0;
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    auto r = co_await session();
    link_.reset();
    // A session that lasted a while was healthy: start the backoff from the bottom again.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(30)) failures = 0;
    double base =
        static_cast<double>(config_.reconnect_min_ms) * std::pow(2.0, std::min(failures, 20));
    double capped = std::min(base, static_cast<double>(config_.reconnect_max_ms));
    // Full jitter over the upper half, so a fleet that lost the controller together does not
    // come back together.
    std::uniform_real_distribution<double> jitter(capped / 2, capped);
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(jitter(rng)));
    ++failures;
    spdlog::warn("controller link down: {}; retrying in {} ms",
                 r ? std::string("closed") : r.error().describe(), delay.count());
    asio::steady_timer timer(ioc_, delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<Result<void>> ControllerLink::session() {
  auto endpoint = protocol::parse_endpoint_url(config_.controller_url);
  if (!endpoint) co_return fail(endpoint.error());
  auto link = std::make_shared<protocol::WssClient>(ioc_.get_executor(), tls_);
  const std::string target = "/api/v1/agent";
  if (auto c = co_await link->connect(*endpoint, target); !c) co_return fail(c.error());

  protocol::Hello hello{config_.agent_id, std::string(kAgentVersion), {}};
  for (int v = protocol::kMinProtocolVersion; v <= protocol::kMaxProtocolVersion; ++v) {
    hello.protocol_versions.push_back(v);
  }
  const auto hello_text = protocol::encode_message(hello);
  if (auto s = co_await link->send(hello_text); !s) co_return fail(s.error());
  auto answer = co_await link->read();
  if (!answer) co_return fail(answer.error());
  auto msg = protocol::decode_message(*answer);
  if (!msg) co_return fail(msg.error());
  if (auto* e = std::get_if<protocol::ErrorMessage>(&*msg)) {
    co_return fail(e->code, "controller refused the hello: " + e->message);
  }
  auto* ack = std::get_if<protocol::HelloAck>(&*msg);
  if (!ack) co_return fail("protocol.expected_hello_ack", "controller did not answer the hello");
  spdlog::info("connected to {} as {} (protocol {})", config_.controller_url, config_.agent_id,
               ack->protocol_version);
  link_ = link;

  // The first report after the agent starts is full; after a reconnect it is a delta against
  // the last acknowledged one (the controller asks for a full report if it lacks that base).
  const auto inventory_text = protocol::encode_message(inventory_message(false));
  if (auto s = co_await link->send(inventory_text); !s) {
    co_return fail(s.error());
  }
  auto alive = std::make_shared<bool>(true);
  asio::co_spawn(ioc_, heartbeats(link, alive), asio::detached);

  Result<void> outcome = ok();
  for (;;) {
    auto text = co_await link->read();
    if (!text) {
      outcome = fail(text.error());
      break;
    }
    auto m = protocol::decode_message(*text);
    if (!m) {
      spdlog::warn("controller sent a bad message: {}", m.error().describe());
      continue;
    }
    if (auto* order = std::get_if<protocol::DeployOrderMessage>(&*m)) {
      start_order(*order);
    } else if (auto* ack = std::get_if<protocol::InventoryAck>(&*m)) {
      reporter_.acknowledged(ack->hash);
    } else if (auto* req = std::get_if<protocol::InventoryRequest>(&*m)) {
      if (req->full) reporter_.reset();
      spdlog::info("controller asks for a{} inventory report{}{}", req->full ? " full" : "n",
                   req->reason.empty() ? "" : ": ", req->reason);
      send(inventory_message(req->full));
    } else if (auto* e = std::get_if<protocol::ErrorMessage>(&*m)) {
      spdlog::warn("controller reports: {}: {}", e->code, e->message);
    } else if (std::get_if<protocol::Heartbeat>(&*m)) {
      // nothing to do: the connection is alive
    } else {
      spdlog::warn("controller sent an unexpected '{}' message", protocol::message_type(*m));
    }
  }
  *alive = false;
  co_return outcome;
}

awaitable<void> ControllerLink::heartbeats(std::shared_ptr<protocol::WssClient> link,
                                           std::shared_ptr<bool> alive) {
  asio::steady_timer timer(ioc_);
  auto last_inventory = std::chrono::steady_clock::now();
  while (*alive) {
    timer.expires_after(std::chrono::seconds(config_.heartbeat_seconds));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (!*alive) break;
    auto now = std::chrono::steady_clock::now();
    if (now - last_inventory >= std::chrono::seconds(config_.inventory_interval_seconds)) {
      last_inventory = now;
      const auto inventory_text = protocol::encode_message(inventory_message(false));
      if (!co_await link->send(inventory_text)) break;
    }
    const auto heartbeat_text = protocol::encode_message(protocol::Heartbeat{unix_millis()});
    if (!co_await link->send(heartbeat_text)) break;
  }
}

protocol::Message ControllerLink::inventory_message(bool full) {
  auto relman =
      inventory::collect_relman_packages(installer_.installed_packages(), config_.install_root);
  return reporter_.next(collect_inventory(config_.inventory_root, relman), full);
}

void ControllerLink::send(const protocol::Message& message) {
  if (!link_) return;  // not connected: the controller re-sends unfinished orders later
  asio::co_spawn(
      ioc_,
      [link = link_, text = protocol::encode_message(message)]() -> awaitable<void> {
        co_await link->send(text);
      },
      asio::detached);
}

void ControllerLink::start_order(const protocol::DeployOrderMessage& order) {
  const auto& id = order.order.order_id;
  if (in_flight_.contains(id)) return;  // a repeat of an order we are running
  in_flight_.insert(id);
  spdlog::info("order {}: {} {} (deployment {})", id, order.order.package_name,
               order.order.package_version, order.order.deployment_id);
  asio::post(worker_, [this, order] {
    auto progress = [this](const protocol::DeployProgress& p) {
      asio::post(ioc_, [this, p] { send(p); });
    };
    auto result = installer_.run(order, progress);
    asio::post(ioc_, [this, result] {
      in_flight_.erase(result.order_id);
      if (result.status == "succeeded") {
        spdlog::info("order {}: succeeded, {} now at {}", result.order_id, result.order_id,
                     result.installed_version);
      } else {
        spdlog::warn("order {}: failed: {}: {}", result.order_id, result.code, result.message);
      }
      send(result);
    });
  });
}

}  // namespace relman::agent
