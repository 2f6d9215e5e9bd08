// A small blocking HTTPS client (Beast behind this interface) for the CLI and for the agent's
// installer thread. Every call has a timeout and every response a size limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/asio.hpp"
#include "protocol/error.hpp"

namespace relman::protocol {

struct Endpoint {
  std::string host;  // name or IP literal; verified against the server certificate
  std::uint16_t port = 0;
};

// Parses "https://host:port" or "wss://host:port" (path ignored). protocol.invalid_url.
Result<Endpoint> parse_endpoint_url(std::string_view url);

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // "/api/v1/..."
  std::map<std::string, std::string> headers;
  std::string body;
  std::filesystem::path body_file;  // when set, streamed as the body instead of `body`
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct DownloadProgress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
};

class HttpsClient {
 public:
  HttpsClient(std::shared_ptr<asio::ssl::context> tls, Endpoint endpoint,
              std::chrono::seconds timeout = std::chrono::seconds(30));
  ~HttpsClient();

  // One request on a new connection. Errors: http.connect_failed, http.tls_failed (with the
  // TLS reason), http.timeout, http.response_too_large, http.protocol.
  Result<HttpResponse> request(const HttpRequest& req, std::size_t max_body = 16 << 20);

  // GET target into `file`. If `file` already holds bytes, asks for the rest with a Range
  // request and appends (resumes); restarts from zero if the server ignores the range.
  // Calls `progress` after each chunk and `on_data(offset, bytes)` with every chunk written
  // (offset 0 again when the server ignored the range and the file restarted), so callers
  // can hash while the bytes stream. Returns the final size. A non-2xx status is
  // http.status_<code> with the server's error message.
  Result<std::uint64_t> download(
      const std::string& target, const std::map<std::string, std::string>& headers,
      const std::filesystem::path& file, std::uint64_t max_bytes,
      const std::function<void(const DownloadProgress&)>& progress,
      const std::function<void(std::uint64_t offset, std::string_view bytes)>& on_data = {});

 private:
  std::shared_ptr<asio::ssl::context> tls_;
  Endpoint endpoint_;
  std::chrono::seconds timeout_;
};

}  // namespace relman::protocol
