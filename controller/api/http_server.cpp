// Beast lives here (server side: HTTP and WebSocket over TLS).
#include "controller/api/http_server.hpp"

#include <atomic>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "certs/tls_context.hpp"
#include "controller/api/target.hpp"
#include "controller/auth/passwords.hpp"
#include "controller/blocking.hpp"
#include "controller/events/event_stream.hpp"
#include "protocol/http_headers.hpp"
#include "protocol/json_limits.hpp"

namespace relman::controller {
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = websocket::stream<TlsStream>;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(15);
constexpr auto kRequestTimeout = std::chrono::seconds(60);
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kMaxDrainBytes = 16 << 20;
constexpr auto kEventPoll = std::chrono::milliseconds(200);
constexpr auto kEventKeepAlive = std::chrono::seconds(15);

std::string ssl_reason(const boost::system::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return r;
  }
  return ec.message();
}

class BeastAgentChannel final : public AgentChannel {
 public:
  explicit BeastAgentChannel(WsStream ws) : ws_(std::move(ws)) {}

  awaitable<Result<std::string>> read() override {
    boost::system::error_code ec;
    buffer_.clear();
    co_await ws_.async_read(buffer_, asio::redirect_error(use_awaitable, ec));
    if (ec == websocket::error::message_too_big) {
      co_return fail("protocol.frame_too_large", "message larger than the frame limit");
    }
    if (ec == websocket::error::closed) co_return fail("ws.closed", "agent closed the connection");
    if (ec) co_return fail("ws.read_failed", ssl_reason(ec));
    co_return beast::buffers_to_string(buffer_.data());
  }

  awaitable<Result<void>> write(const std::string& message) override {
    boost::system::error_code ec;
    const std::string text = message;
    co_await ws_.async_write(asio::buffer(text), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fail("ws.write_failed", ssl_reason(ec));
    co_return ok();
  }

  awaitable<void> close(const std::string& why) override {
    boost::system::error_code ec;
    // Close frames carry at most 123 bytes of reason.
    const websocket::close_reason reason(websocket::close_code::policy_error,
                                         std::string_view(why).substr(0, 120));
    co_await ws_.async_close(reason, asio::redirect_error(use_awaitable, ec));
  }

  void abort() override {
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  WsStream ws_;
  beast::flat_buffer buffer_;
};

ApiResponse body_too_large() {
  return error_response(
      413, "request.too_large",
      "the request body is larger than " + std::to_string(protocol::kMaxApiBodyBytes) + " bytes");
}

template <class Message>
void common_headers(Message& m, const ApiResponse& res, bool keep_alive) {
  m.set(http::field::server, "relman-controller");
  m.set(http::field::content_type, res.content_type);
  m.set("X-Content-Type-Options", "nosniff");
  m.set(http::field::cache_control, "no-store");
  for (const auto& [k, v] : res.headers) m.set(k, v);
  m.keep_alive(keep_alive);
}

// `disk`: where file blocks are read (the blocking pool), so a slow disk never stalls the
// network threads; null reads inline (error responses only).
awaitable<boost::system::error_code> write_response(TlsStream& stream, const ApiResponse& res,
                                                    bool keep_alive, bool head,
                                                    asio::thread_pool* disk = nullptr) {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
  if (res.file.empty()) {
    http::response<http::string_body> r{static_cast<http::status>(res.status), 11};
    common_headers(r, res, keep_alive);
    r.body() = head ? std::string() : res.body;
    r.prepare_payload();
    if (head) r.content_length(res.body.size());
    co_await http::async_write(stream, r, asio::redirect_error(use_awaitable, ec));
    co_return ec;
  }
  // A byte range of a DML file, streamed in blocks (never the whole package in memory).
  int fd = ::open(res.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ApiResponse e;
    e.status = 500;
    e.body = R"({"error":{"code":"dml.io","message":"cannot open the package file"}})";
    const auto ec2 = co_await write_response(stream, e, false, head);
    co_return ec2;
  }
  http::response<http::empty_body> r{static_cast<http::status>(res.status), 11};
  common_headers(r, res, keep_alive);
  r.content_length(res.file_length);
  http::response_serializer<http::empty_body> sr{r};
  co_await http::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
  std::vector<char> block(256 * 1024);
  std::uint64_t offset = res.file_offset, left = head ? 0 : res.file_length;
  while (!ec && left > 0) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size()));
    auto read_block = [&] { return ::pread(fd, block.data(), want, static_cast<off_t>(offset)); };
    ssize_t n = disk ? co_await run_blocking(*disk, read_block) : read_block();
    if (n <= 0) {
      ec = asio::error::make_error_code(asio::error::eof);
      break;
    }
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    co_await asio::async_write(stream, asio::buffer(block.data(), static_cast<std::size_t>(n)),
                               asio::redirect_error(use_awaitable, ec));
    offset += static_cast<std::uint64_t>(n);
    left -= static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  co_return ec;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& i, std::shared_ptr<asio::ssl::context> t, Router& r, AgentGateway& g,
       asio::thread_pool& b, HttpServerOptions o)
      : ioc(i),
        tls(std::move(t)),
        router(r),
        gateway(g),
        blocking(b),
        options(std::move(o)),
        acceptor(i) {}

  asio::io_context& ioc;
  std::shared_ptr<asio::ssl::context> tls;
  Router& router;
  AgentGateway& gateway;
  asio::thread_pool& blocking;
  HttpServerOptions options;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> event_streams{0};
  std::atomic<bool> stopping{false};

  // Streams events until the client goes away or a write fails: the backlog after the
  // client's Last-Event-ID first, then new events, with a comment line as keep-alive so that
  // dead peers are noticed. The connection is not reused afterwards.
  awaitable<void> serve_event_stream(TlsStream& stream, const ApiRequest& req) {
    boost::system::error_code ec;
    auto refused = co_await run_blocking(blocking, [&] { return router.preauthorize(req); });
    if (refused) {
      co_await write_response(stream, *refused, false, false);
      co_return;
    }
    auto target = parse_target(req.target);
    auto parsed = parse_event_stream_request(
        req.headers, target ? target->query : std::map<std::string, std::string>{});
    if (!parsed) {
      const ApiResponse refusal = from_error(parsed.error());
      co_await write_response(stream, refusal, false, false);
      co_return;
    }
    if (!options.events || !options.store) {
      const ApiResponse refusal =
          error_response(404, "request.not_found", "this server has no event stream");
      co_await write_response(stream, refusal, false, false);
      co_return;
    }
    if (event_streams.fetch_add(1) >= options.max_event_streams) {
      event_streams.fetch_sub(1);
      const ApiResponse refusal = error_response(503, "events.too_many_streams",
                                                 "too many event-stream readers; retry later");
      co_await write_response(stream, refusal, false, false);
      co_return;
    }
    struct Release {
      std::atomic<std::size_t>& n;
      ~Release() { n.fetch_sub(1); }
    } release{event_streams};

    auto recipients =
        co_await run_blocking(blocking, [&] { return router.stream_recipients(req); });
    parsed->recipients = std::move(recipients);
    EventStream events(*options.store, *options.events, std::move(*parsed));
    http::response<http::empty_body> r{http::status::ok, 11};
    r.set(http::field::content_type, "text/event-stream");
    r.set(http::field::cache_control, "no-store");
    r.set("X-Content-Type-Options", "nosniff");
    r.keep_alive(false);  // the body ends when the connection does
    http::response_serializer<http::empty_body> sr{r};
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    co_await http::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
    std::string frames = "retry: 3000\n\n";
    asio::steady_timer timer(stream.get_executor());
    auto quiet_since = std::chrono::steady_clock::now();
    while (!ec) {
      if (!frames.empty()) {
        beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
        co_await asio::async_write(stream, asio::buffer(frames),
                                   asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        quiet_since = std::chrono::steady_clock::now();
      }
      timer.expires_after(kEventPoll);
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (ec || stopping) break;
      auto next = co_await run_blocking(blocking, [&] { return events.next(); });
      if (!next) {
        spdlog::info("event stream reader ended: {}", next.error().describe());
        break;
      }
      frames = std::move(*next);
      if (frames.empty() && std::chrono::steady_clock::now() - quiet_since > kEventKeepAlive) {
        frames = ": keep-alive\n\n";
      }
    }
  }

  awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(ioc),
                                                          asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(std::move(socket)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("connection ended by an internal error: {}", ex.what());
        }
      });
    }
  }

  awaitable<void> session(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    std::string peer_addr = socket.remote_endpoint(ec).address().to_string();
    TlsStream stream(std::move(socket), *tls);
    beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // E.g. a client certificate from another CA: refused here, before any request.
      spdlog::warn("TLS handshake with {} refused: {}", peer_addr, ssl_reason(ec));
      co_return;
    }
    auto peer = pki::peer_identity(stream.native_handle());
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::empty_body> header;
      header.header_limit(kHeaderLimit);
      // Each route sets its own body limit once the header is read; the header parser would
      // otherwise refuse a large Content-Length before we can answer with a clear 413.
      header.body_limit(std::numeric_limits<std::uint64_t>::max());
      beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
      co_await http::async_read_header(stream, buffer, header,
                                       asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::ssl::error::stream_truncated) {
        break;
      }
      if (ec) {
        bool bad_request =
            ec.category() == beast::http::make_error_code(http::error::header_limit).category();
        if (bad_request) {
          const ApiResponse refusal =
              error_response(400, "request.malformed", "malformed HTTP request");
          co_await write_response(stream, refusal, false, false);
        }
        break;
      }
      ApiRequest req;
      req.method = std::string(header.get().method_string());
      req.target = std::string(header.get().target());
      req.headers = protocol::lower_case_headers(header.get().base());
      req.peer = peer;
      bool keep_alive = header.get().keep_alive();
      bool head = req.method == "HEAD";

      if (websocket::is_upgrade(header.get())) {
        if (req.target != "/api/v1/agent") {
          const ApiResponse refusal = error_response(404, "request.not_found", "no WebSocket here");
          co_await write_response(stream, refusal, false, false);
          break;
        }
        if (!peer || !peer->client_auth) {
          spdlog::warn("agent connection from {} refused: no agent client certificate", peer_addr);
          const ApiResponse refusal =
              error_response(401, "agent.certificate_required",
                             "the agent WebSocket needs a client certificate from the agent CA");
          co_await write_response(stream, refusal, false, false);
          break;
        }
        beast::get_lowest_layer(stream).expires_never();
        WsStream ws(std::move(stream));
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = kHandshakeTimeout;
        timeouts.idle_timeout = std::chrono::seconds(60);
        timeouts.keep_alive_pings = true;
        ws.set_option(timeouts);
        ws.read_message_max(protocol::kMaxFrameBytes);
        ws.text(true);
        co_await ws.async_accept(header.get(), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          spdlog::warn("WebSocket upgrade from {} failed: {}", peer_addr, ec.message());
          co_return;
        }
        auto channel = std::make_shared<BeastAgentChannel>(std::move(ws));
        co_await gateway.serve(channel, peer->common_name);
        co_return;
      }

      if (router.is_event_stream(req)) {
        co_await serve_event_stream(stream, req);
        break;
      }

      ApiResponse res;
      if (auto limit = router.upload_limit(req.method, req.target)) {
        auto refused = co_await run_blocking(blocking, [&] { return router.preauthorize(req); });
        if (refused) {
          co_await write_response(stream, *refused, false, false);
          break;  // the body is not read: close instead
        }
        auto expect = req.headers.find("expect");
        if (expect != req.headers.end() && beast::iequals(expect->second, "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, 11};
          co_await http::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
        http::request_parser<http::file_body> body(std::move(header));
        body.body_limit(*limit);
        auto tmp = options.upload_dir / ("upload-" + random_hex(12) + ".part");
        body.get().body().open(tmp.c_str(), beast::file_mode::write_new, ec);
        if (ec) {
          spdlog::error("cannot open upload file {}: {}", tmp.string(), ec.message());
          const ApiResponse refusal = error_response(500, "dml.io", "cannot store the upload");
          co_await write_response(stream, refusal, false, false);
          break;
        }
        beast::get_lowest_layer(stream).expires_after(std::chrono::minutes(30));
        co_await http::async_read(stream, buffer, body, asio::redirect_error(use_awaitable, ec));
        body.get().body().close();
        if (ec) {
          std::error_code fec;
          std::filesystem::remove(tmp, fec);
          if (ec == http::error::body_limit) {
            const ApiResponse refusal =
                error_response(413, "request.too_large",
                               "the body is larger than this route's limit (" +
                                   std::to_string(*limit) + " bytes)");
            co_await write_response(stream, refusal, false, false);
          }
          break;
        }
        req.body_file = tmp;
        res = co_await run_blocking(blocking, [&] { return router.handle(req); });
        std::error_code fec;
        std::filesystem::remove(tmp, fec);  // the DML moved it away if it kept it
      } else if (auto len = header.content_length(); len && *len > protocol::kMaxApiBodyBytes) {
        // Too large: read and discard a bounded amount so that the client, which is still
        // sending, gets to read the 413 instead of a connection reset.
        if (*len <= kMaxDrainBytes) {
          http::request_parser<http::buffer_body> drain(std::move(header));
          drain.body_limit(kMaxDrainBytes);
          std::vector<char> scratch(64 * 1024);
          while (!drain.is_done()) {
            drain.get().body().data = scratch.data();
            drain.get().body().size = scratch.size();
            co_await http::async_read(stream, buffer, drain,
                                      asio::redirect_error(use_awaitable, ec));
            if (ec == http::error::need_buffer) ec = {};
            if (ec) break;
          }
        }
        const ApiResponse refusal = body_too_large();
        co_await write_response(stream, refusal, false, false);
        break;
      } else {
        http::request_parser<http::string_body> body(std::move(header));
        body.body_limit(protocol::kMaxApiBodyBytes);
        co_await http::async_read(stream, buffer, body, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit) {
          const ApiResponse refusal = body_too_large();
          co_await write_response(stream, refusal, false, false);
          break;
        }
        if (ec) break;
        req.body = std::move(body.get().body());
        res = co_await run_blocking(blocking, [&] { return router.handle(req); });
      }
      ec = co_await write_response(stream, res, keep_alive, head, &blocking);
      if (ec || !keep_alive) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }
};

HttpServer::HttpServer(asio::io_context& ioc, std::shared_ptr<asio::ssl::context> tls,
                       Router& router, AgentGateway& gateway, asio::thread_pool& blocking,
                       HttpServerOptions options)
    : impl_(std::make_shared<Impl>(ioc, std::move(tls), router, gateway, blocking,
                                   std::move(options))) {}

HttpServer::~HttpServer() = default;

Result<std::uint16_t> HttpServer::listen(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) return fail("server.listen_failed", "not an IP address", address);
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("server.listen_failed", "cannot listen: " + ec.message(),
                address + ":" + std::to_string(port));
  }
  return a.local_endpoint().port();
}

void HttpServer::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

void HttpServer::stop() {
  impl_->stopping = true;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace relman::controller
