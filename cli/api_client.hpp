// The online commands' client for the controller's REST API, over protocol::HttpsClient.
// A 2xx answer must be a JSON object; any other answer becomes the API's own error
// ({"error": {"code", "message", "context"}}), or http.status_<code> when the body is not one.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/session.hpp"
#include "protocol/error.hpp"
#include "protocol/https_client.hpp"

namespace relman::cli {

constexpr std::chrono::seconds kRequestTimeout{30};

// Percent-encodes everything but RFC 3986's unreserved characters: for an id in a path.
std::string percent_encode(std::string_view s);

class ApiClient {
 public:
  // A client for `settings` (URL checked, CA file loaded); it sends the settings' token.
  static Result<ApiClient> open(const ConnectionSettings& settings);

  // resolve_settings with a token required, refusing an expired session, then open().
  static Result<ApiClient> connect(const ConnectionOptions& o);

  // One request; the parsed JSON of a 2xx answer, or the API's error.
  Result<nlohmann::json> call(const std::string& method, const std::string& target,
                              const std::optional<nlohmann::json>& body = std::nullopt,
                              std::chrono::seconds timeout = kRequestTimeout);

  // POST /api/v1/packages with the file streamed as the body.
  Result<nlohmann::json> upload(const std::filesystem::path& file);

  // Every page of a list route, as one array.
  Result<nlohmann::json> list(const std::string& route);

 private:
  ApiClient(std::shared_ptr<asio::ssl::context> tls, protocol::Endpoint endpoint,
            std::string token);

  Result<nlohmann::json> send(protocol::HttpRequest& req, std::chrono::seconds timeout);

  std::shared_ptr<asio::ssl::context> tls_;
  protocol::Endpoint endpoint_;
  std::string token_;
};

}  // namespace relman::cli
