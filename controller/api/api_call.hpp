// What an API handler sees: the request, the path parameters, the parsed query and page, and
// the authenticated user. And what it returns. No Beast types here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "certs/tls_context.hpp"
#include "controller/store/records.hpp"

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

struct ApiCall {
  const ApiRequest& req;
  std::map<std::string, std::string> params;  // from "{name}" segments of the route
  std::map<std::string, std::string> query;
  Page page;
  std::optional<User> user;  // set on routes with Access::kUser

  const User& actor() const { return *user; }
};

}  // namespace relman::controller
