// WebSocket over TLS, client side, as an Asio coroutine API (Beast behind this interface).
// One reader coroutine calls read(); writes from any coroutine on the same executor are
// queued and sent in order by send().
// GCC 12 destroys some temporaries in a co_await expression twice: pass named values to these
// coroutines, never temporaries.
#pragma once

#include <memory>
#include <string>

#include "protocol/asio.hpp"
#include "protocol/error.hpp"
#include "protocol/https_client.hpp"

namespace relman::protocol {

class WssClient {
 public:
  WssClient(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls);
  ~WssClient();

  // TCP connect, TLS handshake (server name checked), WebSocket upgrade on `target`.
  // Errors: ws.connect_failed, ws.tls_failed, ws.handshake_failed (with the HTTP status).
  awaitable<Result<void>> connect(const Endpoint& endpoint, const std::string& target);
  // Next text message, at most kMaxFrameBytes. ws.closed (with the close reason) or ws.read_failed.
  awaitable<Result<std::string>> read();
  awaitable<Result<void>> send(const std::string& text);
  awaitable<void> close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace relman::protocol
