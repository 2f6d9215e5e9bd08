// The REST API (/api/v1/...): plain requests in, plain responses out. No Beast types here;
// api/http_server.cpp does the wire. handle() blocks (store, hashing): call it on the
// blocking pool. Errors are {"error": {"code": ..., "message": ...}} with a 4xx/5xx status.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "certs/tls_context.hpp"
#include "controller/config.hpp"
#include "controller/dml/dml.hpp"
#include "controller/gateway/agent_gateway.hpp"
#include "controller/store/store.hpp"

namespace relman::controller {

struct ApiRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::filesystem::path body_file;        // the streamed upload, for upload routes
  std::optional<pki::PeerIdentity> peer;  // the verified client certificate, if any
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  // When set, the body is this byte range of the file (streamed by the server).
  std::filesystem::path file;
  std::uint64_t file_offset = 0;
  std::uint64_t file_length = 0;
};

ApiResponse error_response(int status, const std::string& code, const std::string& message);

class Router {
 public:
  Router(const ControllerConfig& config, Store& store, Dml& dml, AgentGateway& gateway);

  // Routes whose body is streamed to a file (package upload) instead of held in memory.
  bool is_upload(const std::string& method, const std::string& target) const;
  // Checks the bearer token before an upload body is read; the error response otherwise.
  std::optional<ApiResponse> preauthorize(const ApiRequest& header_only);
  ApiResponse handle(const ApiRequest& req);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace relman::controller
