// Beast lives here (client side, HTTP only). Blocking interface, async inside: each call runs
// a coroutine on a private io_context so that every operation has a deadline.
#include "protocol/https_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "protocol/http_headers.hpp"
#include "protocol/tls_host.hpp"

namespace relman::protocol {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<Endpoint> parse_endpoint_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("wss://")) {
    rest = url.substr(6);
  } else {
    return fail("protocol.invalid_url", "URL must start with https:// or wss://", std::string(url));
  }
  rest = rest.substr(0, rest.find('/'));
  Endpoint ep;
  std::string_view port_text;
  if (rest.starts_with("[")) {  // [::1]:8443
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail("protocol.invalid_url", "unterminated IPv6 address", std::string(url));
    }
    ep.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (rest.starts_with(":")) port_text = rest.substr(1);
  } else {
    auto colon = rest.rfind(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.host.empty()) return fail("protocol.invalid_url", "URL has no host", std::string(url));
  if (port_text.empty()) {
    ep.port = 443;
  } else {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) {
        return fail("protocol.invalid_url", "port must be a number from 1 to 65535",
                    std::string(url));
      }
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) {
      return fail("protocol.invalid_url", "port must be a number from 1 to 65535",
                  std::string(url));
    }
    ep.port = static_cast<std::uint16_t>(port);
  }
  return ep;
}

namespace {

using Stream = beast::ssl_stream<beast::tcp_stream>;

std::string tls_reason(const boost::system::error_code& ec) {
  std::string msg = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    msg = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))
              ? ERR_reason_error_string(static_cast<unsigned long>(ec.value()))
              : msg;
  }
  return msg;
}

Error net_error(const std::string& code_prefix, const char* what,
                const boost::system::error_code& ec, const Endpoint& ep) {
  std::string where = ep.host + ":" + std::to_string(ep.port);
  if (ec == beast::error::timeout) {
    return Error{"http.timeout", std::string(what) + " timed out", where};
  }
  return Error{code_prefix, std::string(what) + " failed: " + tls_reason(ec), where};
}

// Connects and completes the TLS handshake; verifies the server name.
awaitable<Result<std::unique_ptr<Stream>>> open_stream(asio::ssl::context& tls, const Endpoint& ep,
                                                       std::chrono::seconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  tcp::resolver resolver(ex);
  const std::string port = std::to_string(ep.port);
  auto results =
      co_await resolver.async_resolve(ep.host, port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail(net_error("http.connect_failed", "name lookup", ec, ep));
  auto stream = std::make_unique<Stream>(ex, tls);
  set_verify_host(stream->native_handle(), ep.host);
  beast::get_lowest_layer(*stream).expires_after(timeout);
  co_await beast::get_lowest_layer(*stream).async_connect(results,
                                                          asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail(net_error("http.connect_failed", "connect", ec, ep));
  beast::get_lowest_layer(*stream).expires_after(timeout);
  co_await stream->async_handshake(asio::ssl::stream_base::client,
                                   asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail(net_error("http.tls_failed", "TLS handshake", ec, ep));
  co_return stream;
}

// Runs one coroutine to completion on a private io_context.
template <class T>
Result<T> run_blocking(std::function<awaitable<Result<T>>()> body) {
  asio::io_context ioc;
  std::optional<Result<T>> out;
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        try {
          out = co_await body();
        } catch (const std::exception& e) {
          out = fail("http.protocol", std::string("HTTP client error: ") + e.what());
        }
      },
      asio::detached);
  ioc.run();
  if (!out) return fail("http.protocol", "request did not complete");
  return std::move(*out);
}

// The API's error body {"error":{"code","message"}} as an Error, for non-2xx downloads.
Error status_error(int status, const std::string& body) {
  std::string message = "server answered HTTP " + std::to_string(status);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    if (e.contains("message") && e["message"].is_string()) {
      message += ": " + e["message"].get<std::string>();
    }
  }
  return Error{"http.status_" + std::to_string(status), message, {}};
}

void fill_request_fields(http::fields& fields, const HttpsClient* /*unused*/, const Endpoint& ep,
                         const std::map<std::string, std::string>& headers) {
  fields.set(http::field::host, ep.host + ":" + std::to_string(ep.port));
  fields.set(http::field::user_agent, "relman/0.1");
  for (const auto& [k, v] : headers) fields.set(k, v);
}

}  // namespace

HttpsClient::HttpsClient(std::shared_ptr<asio::ssl::context> tls, Endpoint endpoint,
                         std::chrono::seconds timeout)
    : tls_(std::move(tls)), endpoint_(std::move(endpoint)), timeout_(timeout) {}

HttpsClient::~HttpsClient() = default;

Result<HttpResponse> HttpsClient::request(const HttpRequest& req, std::size_t max_body) {
  return run_blocking<HttpResponse>([&]() -> awaitable<Result<HttpResponse>> {
    auto opened = co_await open_stream(*tls_, endpoint_, timeout_);
    if (!opened) co_return fail(opened.error());
    auto& stream = **opened;
    boost::system::error_code ec;
    auto verb = http::string_to_verb(req.method);
    if (verb == http::verb::unknown) {
      co_return fail("http.protocol", "unknown HTTP method", req.method);
    }
    beast::get_lowest_layer(stream).expires_after(timeout_);
    if (!req.body_file.empty()) {
      http::request<http::file_body> r{verb, req.target, 11};
      fill_request_fields(r, this, endpoint_, req.headers);
      r.body().open(req.body_file.c_str(), beast::file_mode::scan, ec);
      if (ec) {
        co_return fail("http.read_failed", "cannot open the file to send: " + ec.message(),
                       req.body_file.string());
      }
      r.prepare_payload();
      co_await http::async_write(stream, r, asio::redirect_error(use_awaitable, ec));
    } else {
      http::request<http::string_body> r{verb, req.target, 11};
      fill_request_fields(r, this, endpoint_, req.headers);
      r.body() = req.body;
      if (!req.body.empty() || verb == http::verb::post || verb == http::verb::put) {
        r.prepare_payload();
      }
      co_await http::async_write(stream, r, asio::redirect_error(use_awaitable, ec));
    }
    if (ec) co_return fail(net_error("http.protocol", "sending the request", ec, endpoint_));

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::body_limit) {
      co_return fail("http.response_too_large",
                     "response is larger than " + std::to_string(max_body) + " bytes");
    }
    if (ec) co_return fail(net_error("http.protocol", "reading the response", ec, endpoint_));
    HttpResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    out.headers = lower_case_headers(parser.get().base());
    out.body = std::move(parser.get().body());
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
    co_return out;
  });
}

Result<std::uint64_t> HttpsClient::download(
    const std::string& target, const std::map<std::string, std::string>& headers,
    const std::filesystem::path& file, std::uint64_t max_bytes,
    const std::function<void(const DownloadProgress&)>& progress,
    const std::function<void(std::uint64_t, std::string_view)>& on_data) {
  return run_blocking<std::uint64_t>([&]() -> awaitable<Result<std::uint64_t>> {
    std::error_code fec;
    std::uint64_t have =
        std::filesystem::exists(file, fec) ? std::filesystem::file_size(file, fec) : 0;
    if (fec) have = 0;
    auto opened = co_await open_stream(*tls_, endpoint_, timeout_);
    if (!opened) co_return fail(opened.error());
    auto& stream = **opened;
    boost::system::error_code ec;

    http::request<http::empty_body> r{http::verb::get, target, 11};
    fill_request_fields(r, this, endpoint_, headers);
    if (have > 0) r.set(http::field::range, "bytes=" + std::to_string(have) + "-");
    beast::get_lowest_layer(stream).expires_after(timeout_);
    co_await http::async_write(stream, r, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fail(net_error("http.protocol", "sending the request", ec, endpoint_));

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(max_bytes + 1);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fail(net_error("http.protocol", "reading the response", ec, endpoint_));
    int status = static_cast<int>(parser.get().result_int());

    if (status != 200 && status != 206) {
      // Read the (small) error body for its message.
      std::string body;
      char chunk[4096];
      while (!parser.is_done() && body.size() < 64 * 1024) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof(chunk);
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::need_buffer) ec = {};
        if (ec) break;
        body.append(chunk, sizeof(chunk) - parser.get().body().size);
      }
      co_return fail(status_error(status, body));
    }

    std::uint64_t total = 0;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (status == 206) {
      flags |= O_APPEND;  // the server honoured the range: continue where we were
    } else {
      flags |= O_TRUNC;  // whole body: start again
      have = 0;
    }
    if (auto len = parser.content_length()) total = have + *len;
    if (total > max_bytes) {
      co_return fail("http.response_too_large",
                     "download is larger than the expected " + std::to_string(max_bytes) + " bytes",
                     target);
    }
    int fd = ::open(file.c_str(), flags, 0600);
    if (fd < 0) {
      co_return fail("io.write_failed",
                     std::string("cannot open download file: ") + std::strerror(errno),
                     file.string());
    }
    std::uint64_t done = have;
    std::vector<char> chunk(256 * 1024);
    Result<std::uint64_t> result = done;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::get_lowest_layer(stream).expires_after(timeout_);
      co_await http::async_read_some(stream, buffer, parser,
                                     asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        result = fail(net_error("http.interrupted", "download", ec, endpoint_));
        break;
      }
      std::size_t n = chunk.size() - parser.get().body().size;
      std::size_t off = 0;
      while (off < n) {
        ssize_t w = ::write(fd, chunk.data() + off, n - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          result =
              fail("io.write_failed", std::string("cannot write download: ") + std::strerror(errno),
                   file.string());
          break;
        }
        off += static_cast<std::size_t>(w);
      }
      if (!result) break;
      if (on_data) on_data(done, std::string_view(chunk.data(), n));
      done += n;
      if (done > max_bytes) {
        result = fail(
            "http.response_too_large",
            "download is larger than the expected " + std::to_string(max_bytes) + " bytes", target);
        break;
      }
      if (progress) progress(DownloadProgress{done, total});
    }
    if (result && ::fsync(fd) != 0) {
      result = fail("io.write_failed", std::string("fsync failed: ") + std::strerror(errno),
                    file.string());
    }
    ::close(fd);
    if (!result) co_return result;
    co_return done;
  });
}

}  // namespace relman::protocol
