#include "cli/api_client.hpp"

#include <cctype>
#include <cstdint>
#include <system_error>

#include "certs/tls_context.hpp"

namespace relman::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::chrono::seconds kUploadTimeout{600};  // large packages: send + server-side checks
constexpr std::int64_t kPageSize = 500;              // the API's maximum `limit`
constexpr int kMaxPages = 2000;                      // a server that never ends a list is refused

// A non-2xx answer as the API's own error, or a generic one when its body is not the API's.
Error status_error(const protocol::HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_object()) {
      auto code = e->find("code");
      auto message = e->find("message");
      if (code != e->end() && code->is_string() && message != e->end() && message->is_string()) {
        Error out{code->get<std::string>(), message->get<std::string>(), {}};
        if (auto c = e->find("context"); c != e->end() && c->is_string()) {
          out.context = c->get<std::string>();
        }
        return out;
      }
    }
  }
  return Error{"http.status_" + std::to_string(r.status),
               "the controller answered HTTP " + std::to_string(r.status),
               {}};
}

}  // namespace

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<ApiClient> ApiClient::open(const ConnectionSettings& settings) {
  if (!settings.url.starts_with("https://")) {
    return fail("protocol.invalid_url", "the controller URL must start with https://",
                settings.url);
  }
  auto endpoint = protocol::parse_endpoint_url(settings.url);
  if (!endpoint) return fail(endpoint.error());
  std::error_code ec;
  if (!fs::is_regular_file(settings.ca, ec)) {
    return fail("cli.ca_missing", "the CA certificate file does not exist", settings.ca);
  }
  auto tls = pki::make_client_context(pki::ClientTlsFiles{settings.ca, {}, {}});
  if (!tls) return fail(tls.error());
  return ApiClient(std::move(*tls), std::move(*endpoint), settings.token);
}

Result<ApiClient> ApiClient::connect(const ConnectionOptions& o) {
  auto settings = resolve_settings(o, /*need_token=*/true);
  if (!settings) return fail(settings.error());
  if (auto fresh = check_session_expiry(*settings); !fresh) return fail(fresh.error());
  return open(*settings);
}

Result<json> ApiClient::call(const std::string& method, const std::string& target,
                             const std::optional<json>& body, std::chrono::seconds timeout) {
  protocol::HttpRequest req;
  req.method = method;
  req.target = target;
  if (body) {
    req.body = body->dump();
    req.headers["content-type"] = "application/json";
  }
  return send(req, timeout);
}

Result<json> ApiClient::upload(const fs::path& file) {
  protocol::HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/packages";
  req.body_file = file;
  req.headers["content-type"] = "application/octet-stream";
  return send(req, kUploadTimeout);
}

Result<json> ApiClient::list(const std::string& route) {
  json items = json::array();
  for (int page = 0; page < kMaxPages; ++page) {
    const char* sep = route.find('?') == std::string::npos ? "?" : "&";
    auto r = call("GET", route + sep + "limit=" + std::to_string(kPageSize) +
                             "&offset=" + std::to_string(page * kPageSize));
    if (!r) return fail(r.error());
    auto it = r->find("items");
    if (!r->is_object() || it == r->end() || !it->is_array()) {
      return fail("cli.bad_response", "the controller's list has no items array", route);
    }
    for (auto& item : *it) items.push_back(std::move(item));
    if (it->size() < static_cast<std::size_t>(kPageSize)) return items;
  }
  return fail("cli.bad_response", "the controller's list does not end", route);
}

ApiClient::ApiClient(std::shared_ptr<asio::ssl::context> tls, protocol::Endpoint endpoint,
                     std::string token)
    : tls_(std::move(tls)), endpoint_(std::move(endpoint)), token_(std::move(token)) {}

Result<json> ApiClient::send(protocol::HttpRequest& req, std::chrono::seconds timeout) {
  if (!token_.empty()) req.headers["authorization"] = "Bearer " + token_;
  protocol::HttpsClient client(tls_, endpoint_, timeout);
  auto r = client.request(req);
  if (!r) return fail(r.error());
  if (r->status < 200 || r->status > 299) return fail(status_error(*r));
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("cli.bad_response", "the controller's answer is not a JSON object",
                req.method + " " + req.target);
  }
  return j;
}

}  // namespace relman::cli
