// Beast lives here (client side, WebSocket over TLS).
#include "protocol/wss_client.hpp"

#include <deque>

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "protocol/json_limits.hpp"
#include "protocol/tls_host.hpp"

namespace relman::protocol {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct WssClient::Impl {
  Impl(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> t)
      : tls(std::move(t)), ws(ex, *tls) {}
  std::shared_ptr<asio::ssl::context> tls;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  bool writing = false;
  bool broken = false;
};

WssClient::WssClient(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(tls))) {}

WssClient::~WssClient() = default;

namespace {
std::string reason(const boost::system::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return r;
  }
  return ec.message();
}
}  // namespace

awaitable<Result<void>> WssClient::connect(const Endpoint& endpoint, const std::string& path) {
  auto impl = impl_;
  const Endpoint ep = endpoint;
  const std::string target = path;
  auto ex = co_await asio::this_coro::executor;
  std::string where = ep.host + ":" + std::to_string(ep.port);
  boost::system::error_code ec;
  tcp::resolver resolver(ex);
  const std::string port = std::to_string(ep.port);
  auto results =
      co_await resolver.async_resolve(ep.host, port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail("ws.connect_failed", "name lookup failed: " + ec.message(), where);
  auto& tcp_layer = beast::get_lowest_layer(impl->ws);
  tcp_layer.expires_after(std::chrono::seconds(15));
  co_await tcp_layer.async_connect(results, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail("ws.connect_failed", "connect failed: " + ec.message(), where);
  set_verify_host(impl->ws.next_layer().native_handle(), ep.host);
  tcp_layer.expires_after(std::chrono::seconds(15));
  co_await impl->ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                                 asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail("ws.tls_failed", "TLS handshake failed: " + reason(ec), where);
  tcp_layer.expires_never();  // the websocket timeout settings take over
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(15);
  timeouts.idle_timeout = std::chrono::seconds(60);
  timeouts.keep_alive_pings = true;
  impl->ws.set_option(timeouts);
  impl->ws.read_message_max(kMaxFrameBytes);
  impl->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "relman-agent/0.1");
  }));
  websocket::response_type response;
  const std::string host_header = ep.host + ":" + port;
  co_await impl->ws.async_handshake(response, host_header, target,
                                    asio::redirect_error(use_awaitable, ec));
  if (ec) {
    // TLS 1.3: a refused client certificate surfaces here, on the first read.
    std::string msg = "WebSocket upgrade failed: " + reason(ec);
    if (response.result_int() != 0) {
      msg += " (HTTP " + std::to_string(response.result_int()) + ")";
      if (!response.body().empty()) msg += ": " + response.body().substr(0, 512);
    }
    co_return fail("ws.handshake_failed", msg, where);
  }
  impl->ws.text(true);
  co_return ok();
}

awaitable<Result<std::string>> WssClient::read() {
  auto impl = impl_;
  boost::system::error_code ec;
  impl->buffer.clear();
  co_await impl->ws.async_read(impl->buffer, asio::redirect_error(use_awaitable, ec));
  if (ec == websocket::error::closed) {
    auto r = impl->ws.reason();
    co_return fail("ws.closed",
                   "controller closed the connection: " + std::string(r.reason.c_str()),
                   std::to_string(r.code));
  }
  if (ec == websocket::error::message_too_big) {
    co_return fail("protocol.frame_too_large", "message larger than the frame limit");
  }
  if (ec) {
    impl->broken = true;
    co_return fail("ws.read_failed", "connection lost: " + reason(ec));
  }
  co_return beast::buffers_to_string(impl->buffer.data());
}

awaitable<Result<void>> WssClient::send(const std::string& text) {
  auto impl = impl_;
  if (impl->broken) co_return fail("ws.write_failed", "connection is closed");
  impl->outbox.push_back(text);
  if (impl->writing) co_return ok();  // the active writer sends it, in order
  impl->writing = true;
  boost::system::error_code ec;
  while (!impl->outbox.empty() && !ec) {
    std::string next = std::move(impl->outbox.front());
    impl->outbox.pop_front();
    co_await impl->ws.async_write(asio::buffer(next), asio::redirect_error(use_awaitable, ec));
  }
  impl->writing = false;
  if (ec) {
    impl->broken = true;
    impl->outbox.clear();
    co_return fail("ws.write_failed", "sending failed: " + reason(ec));
  }
  co_return ok();
}

awaitable<void> WssClient::close() {
  auto impl = impl_;
  boost::system::error_code ec;
  if (impl->ws.is_open()) {
    co_await impl->ws.async_close(websocket::close_code::normal,
                                  asio::redirect_error(use_awaitable, ec));
  }
  beast::get_lowest_layer(impl->ws).close();
}

}  // namespace relman::protocol
