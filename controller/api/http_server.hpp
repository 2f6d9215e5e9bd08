// The controller's one HTTPS port: the REST API, package downloads for agents (Range
// requests), and the agents' WebSocket (/api/v1/agent, client certificate required).
// Beast lives only in http_server.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "controller/api/router.hpp"
#include "controller/events/event_bus.hpp"
#include "controller/gateway/agent_gateway.hpp"
#include "protocol/asio.hpp"
#include "protocol/error.hpp"

namespace relman::controller {

struct HttpServerOptions {
  std::filesystem::path upload_dir;  // where upload bodies are streamed
  std::filesystem::path static_dir;  // web console files; empty: none
  // The event stream (GET /api/v1/events, text/event-stream); null: JSON pages only.
  EventBus* events = nullptr;
  Store* store = nullptr;
  std::size_t max_event_streams = 256;  // more readers at once are refused with 503
};

class HttpServer {
 public:
  HttpServer(asio::io_context& ioc, std::shared_ptr<asio::ssl::context> tls, Router& router,
             AgentGateway& gateway, asio::thread_pool& blocking, HttpServerOptions options);
  ~HttpServer();

  // Binds and listens; returns the bound port (useful with port 0). server.listen_failed.
  Result<std::uint16_t> listen(const std::string& address, std::uint16_t port);
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace relman::controller
