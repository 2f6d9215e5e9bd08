#include "controller/api/router.hpp"

#include <charconv>
#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "controller/api/resources.hpp"
#include "controller/auth/passwords.hpp"
#include "packaging/sha256.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {

using nlohmann::json;

ApiResponse json_response(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// Maps an error code to its HTTP status: the caller's fault is 4xx, ours is 5xx.
int status_for(const Error& e) {
  const auto& c = e.code;
  auto starts = [&](std::string_view p) { return c.rfind(p, 0) == 0; };
  if (c == "dml.version_exists" || c == "user.exists") return 409;
  if (starts("protocol.") || starts("package.") || starts("manifest.") || starts("request.") ||
      starts("extract.") || starts("version.")) {
    return 400;
  }
  return 500;
}

ApiResponse from_error(const Error& e) {
  int status = status_for(e);
  if (status >= 500) spdlog::error("API: {}", e.describe());
  auto r = error_response(status, e.code, e.message);
  if (!e.context.empty()) {
    auto j = json::parse(r.body);
    j["error"]["context"] = e.context;
    r.body = j.dump();
  }
  return r;
}

struct Target {
  std::vector<std::string> segments;  // path split on '/', without the "api/v1" prefix
  std::map<std::string, std::string> query;
};

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::optional<Target> parse_target(const std::string& target) {
  std::string_view t = target;
  auto q = t.find('?');
  std::string_view path = t.substr(0, q);
  constexpr std::string_view kPrefix = "/api/v1/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  Target out;
  while (!path.empty()) {
    auto slash = path.find('/');
    out.segments.push_back(url_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (q != std::string_view::npos) {
    std::string_view qs = t.substr(q + 1);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      auto kv = qs.substr(0, amp);
      auto eq = kv.find('=');
      out.query[url_decode(kv.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  return out;
}

std::optional<std::int64_t> parse_id(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

Result<Page> parse_page(const Target& t) {
  Page page;
  for (auto [key, max] : {std::pair{"limit", std::int64_t{500}}, {"offset", INT64_MAX / 2}}) {
    auto it = t.query.find(key);
    if (it == t.query.end()) continue;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 0 || v > max ||
        (std::string(key) == "limit" && v == 0)) {
      return fail("request.invalid_query",
                  std::string(key) + " must be a whole number" +
                      (std::string(key) == "limit" ? " from 1 to 500" : " >= 0"),
                  key);
    }
    (std::string(key) == "limit" ? page.limit : page.offset) = v;
  }
  return page;
}

json page_json(const json& items, const Page& page) {
  return json{{"items", items}, {"limit", page.limit}, {"offset", page.offset}};
}

}  // namespace

ApiResponse error_response(int status, const std::string& code, const std::string& message) {
  return json_response(status, json{{"error", {{"code", code}, {"message", message}}}});
}

struct Router::Impl {
  const ControllerConfig& config;
  Store& store;
  Dml& dml;
  AgentGateway& gateway;

  // The user behind the request's bearer token, or the 401 to send.
  std::variant<User, ApiResponse> authenticate(const ApiRequest& req) {
    auto it = req.headers.find("authorization");
    if (it == req.headers.end() || it->second.rfind("Bearer ", 0) != 0) {
      return error_response(401, "auth.required",
                            "log in first (POST /api/v1/auth/login) and send "
                            "'Authorization: Bearer <token>'");
    }
    auto user = store.find_session_user(token_hash(it->second.substr(7)), unix_seconds());
    if (!user) return from_error(user.error());
    if (!*user) {
      return error_response(401, "auth.invalid_token",
                            "the token is unknown or expired; log in again");
    }
    return **user;
  }

  ApiResponse login(const ApiRequest& req) {
    auto doc = protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto username = r.string("username");
    auto password = r.string("password", 1024);
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto user = store.find_user(username);
    if (!user) return from_error(user.error());
    // Same answer for an unknown user and a wrong password: do not reveal which names exist.
    if (!*user || !verify_password(password, (*user)->password_hash)) {
      spdlog::warn("API: failed login for '{}'", username);
      return error_response(401, "auth.invalid_credentials", "wrong user name or password");
    }
    std::string token = new_session_token();
    std::int64_t expires = unix_seconds() + config.session_ttl_seconds;
    if (auto s = store.create_session(token_hash(token), (*user)->id, expires); !s) {
      return from_error(s.error());
    }
    return json_response(
        200, json{{"token", token},
                  {"expires_at", expires},
                  {"user", {{"username", (*user)->username}, {"role", (*user)->role}}}});
  }

  ApiResponse logout(const ApiRequest& req) {
    auto it = req.headers.find("authorization");
    if (auto s = store.delete_session(token_hash(it->second.substr(7))); !s) {
      return from_error(s.error());
    }
    return json_response(200, json{{"logged_out", true}});
  }

  ApiResponse upload_package(const ApiRequest& req, const User& user) {
    if (req.body_file.empty()) {
      return error_response(400, "request.body_required",
                            "send the package file as the request body "
                            "(Content-Type: application/octet-stream)");
    }
    auto rec = dml.add(req.body_file, user.username);
    if (!rec) {
      spdlog::warn("API: package upload by {} refused: {}", user.username, rec.error().describe());
      return from_error(rec.error());
    }
    spdlog::info("API: {} uploaded {} {} ({})", user.username, rec->name, rec->version,
                 rec->sha256);
    return json_response(201, to_json(*rec));
  }

  ApiResponse create_release(const ApiRequest& req, const User& user) {
    auto doc = protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto title = r.string("title", 200);
    auto description = r.optional_string("description", protocol::kMaxTextLength).value_or("");
    if (auto c = r.finish_strict(); !c) return from_error(c.error());
    auto rec = store.create_release(title, description, user.username);
    if (!rec) return from_error(rec.error());
    spdlog::info("API: {} registered release {} '{}'", user.username, rec->number, rec->title);
    return json_response(201, to_json(*rec));
  }

  ApiResponse create_deployment(const ApiRequest& req, const User& user, std::int64_t release_id) {
    auto release = store.get_release(release_id);
    if (!release) return from_error(release.error());
    if (!*release) return error_response(404, "release.not_found", "no release with this id");
    auto doc = protocol::parse_json_object(req.body, protocol::kMaxApiBodyBytes, "body");
    if (!doc) return from_error(doc.error());
    protocol::JsonReader r(*doc);
    auto package_id = r.optional_integer("package_id", 1, INT64_MAX);
    auto name = r.optional_string("package");
    auto version = r.optional_string("version");
    const json* hosts = r.array("hosts", 1000);
    auto ttl = r.optional_integer("expires_in_seconds", 60, 30 * 86400);
    bool allow_downgrade = r.optional_boolean("allow_downgrade").value_or(false);
    std::vector<std::string> host_ids;
    if (hosts) {
      if (hosts->empty()) r.reject("hosts", "request.invalid_value", "name at least one host");
      for (const auto& h : *hosts) {
        if (!h.is_string() || h.get<std::string>().empty() ||
            h.get<std::string>().size() > protocol::kMaxIdLength) {
          r.reject("hosts", "protocol.wrong_type", "hosts must be agent ids (strings)");
          break;
        }
        if (std::find(host_ids.begin(), host_ids.end(), h.get<std::string>()) == host_ids.end()) {
          host_ids.push_back(h.get<std::string>());
        }
      }
    }
    if (!package_id && !(name && version)) {
      r.reject("package_id", "protocol.missing_field",
               "name the package by package_id, or by package and version");
    }
    if (auto c = r.finish_strict(); !c) return from_error(c.error());

    std::optional<PackageRecord> pkg;
    if (package_id) {
      auto p = store.get_package(*package_id);
      if (!p) return from_error(p.error());
      pkg = std::move(*p);
    } else {
      auto p = store.find_package(*name, *version);
      if (!p) return from_error(p.error());
      pkg = std::move(*p);
    }
    if (!pkg) {
      return error_response(404, "package.not_found", "the DML holds no such package version");
    }
    std::int64_t expires = unix_seconds() + ttl.value_or(config.order_ttl_seconds);
    auto dep = store.create_deployment(release_id, pkg->id, host_ids, expires, allow_downgrade,
                                       user.username);
    if (!dep) return from_error(dep.error());
    spdlog::info("API: {} created deployment {} of {} {} to {} host(s)", user.username, dep->id,
                 pkg->name, pkg->version, host_ids.size());
    json body = to_json(*dep);
    body["warnings"] = json::array();
    for (const auto& h : host_ids) {
      gateway.notify(h);
      auto known = store.get_host(h);
      if (known && !*known) {
        body["warnings"].push_back("host '" + h +
                                   "' has never connected: its order waits until it does, or "
                                   "fails when the deployment expires");
      }
    }
    return json_response(201, body);
  }

  ApiResponse agent_package(const ApiRequest& req, const std::string& sha) {
    if (!req.peer || !req.peer->client_auth) {
      return error_response(401, "agent.certificate_required",
                            "package downloads need an agent client certificate");
    }
    if (!packaging::is_sha256_hex(sha)) {
      return error_response(400, "request.invalid_value", "not a SHA-256 hex digest");
    }
    // An agent fetches only what it has been ordered to install, nothing else in the DML.
    auto ordered = store.host_awaits_package(req.peer->common_name, sha);
    if (!ordered) return from_error(ordered.error());
    if (!*ordered) {
      return error_response(403, "agent.not_ordered",
                            "this agent has no unfinished order for that package");
    }
    auto rec = store.find_package_by_sha256(sha);
    if (!rec) return from_error(rec.error());
    if (!*rec) return error_response(404, "package.not_found", "no package with this hash");
    auto path = dml.blob_path(sha);
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return error_response(500, "dml.io", "the package file is missing from the DML");
    ApiResponse r;
    r.content_type = "application/octet-stream";
    r.file = path;
    r.file_offset = 0;
    r.file_length = size;
    r.headers["accept-ranges"] = "bytes";
    if (auto it = req.headers.find("range"); it != req.headers.end()) {
      // Only "bytes=N-" (what our agents send to resume) and "bytes=N-M".
      std::string_view v = it->second;
      std::uint64_t from = 0, to = size ? size - 1 : 0;
      bool valid = v.starts_with("bytes=");
      if (valid) {
        v.remove_prefix(6);
        auto dash = v.find('-');
        valid = dash != std::string_view::npos && dash > 0;
        if (valid) {
          auto [p1, e1] = std::from_chars(v.data(), v.data() + dash, from);
          valid = e1 == std::errc() && p1 == v.data() + dash;
          if (valid && dash + 1 < v.size()) {
            auto [p2, e2] = std::from_chars(v.data() + dash + 1, v.data() + v.size(), to);
            valid = e2 == std::errc() && p2 == v.data() + v.size() && to >= from;
          }
        }
      }
      if (!valid || from >= size) {
        auto e = error_response(416, "request.range_invalid", "the requested range is invalid");
        e.headers["content-range"] = "bytes */" + std::to_string(size);
        return e;
      }
      to = std::min<std::uint64_t>(to, size - 1);
      r.status = 206;
      r.file_offset = from;
      r.file_length = to - from + 1;
      r.headers["content-range"] =
          "bytes " + std::to_string(from) + "-" + std::to_string(to) + "/" + std::to_string(size);
    }
    return r;
  }

  ApiResponse route(const ApiRequest& req) {
    auto t = parse_target(req.target);
    if (!t) {
      return error_response(404, "request.not_found",
                            "no such route; the REST API is under /api/v1/ (see docs/api.md)");
    }
    const auto& s = t->segments;
    const auto& m = req.method;
    auto page = parse_page(*t);
    if (!page) return from_error(page.error());

    if (s.size() == 1 && s[0] == "health" && m == "GET") {
      return json_response(200, json{{"status", "ok"}});
    }
    if (s.size() == 2 && s[0] == "auth" && s[1] == "login") {
      if (m != "POST") return method_not_allowed("POST");
      return login(req);
    }
    if (s.size() == 4 && s[0] == "agent" && s[1] == "packages" && s[3].empty()) {
      return error_response(404, "request.not_found", "no such route");
    }
    if (s.size() == 3 && s[0] == "agent" && s[1] == "packages") {
      if (m != "GET" && m != "HEAD") return method_not_allowed("GET");
      return agent_package(req, s[2]);
    }
    if (s.size() == 1 && s[0] == "agent") {
      return error_response(426, "agent.websocket_required",
                            "this endpoint takes a WebSocket upgrade from an agent");
    }

    auto auth = authenticate(req);
    if (auto* err = std::get_if<ApiResponse>(&auth)) return *err;
    const User& user = std::get<User>(auth);

    if (s.size() == 2 && s[0] == "auth" && s[1] == "logout") {
      if (m != "POST") return method_not_allowed("POST");
      return logout(req);
    }
    if (s.size() == 2 && s[0] == "auth" && s[1] == "me") {
      return json_response(200, json{{"username", user.username}, {"role", user.role}});
    }
    if (s.size() == 1 && s[0] == "packages") {
      if (m == "POST") return upload_package(req, user);
      if (m != "GET") return method_not_allowed("GET, POST");
      auto list = store.list_packages(*page);
      if (!list) return from_error(list.error());
      json items = json::array();
      for (const auto& p : *list) items.push_back(to_json(p));
      return json_response(200, page_json(items, *page));
    }
    if (s.size() == 2 && s[0] == "packages") {
      auto id = parse_id(s[1]);
      if (!id) return error_response(400, "request.invalid_id", "package ids are numbers");
      if (m != "GET") return method_not_allowed("GET");
      auto p = store.get_package(*id);
      if (!p) return from_error(p.error());
      if (!*p) return error_response(404, "package.not_found", "no package with this id");
      return json_response(200, to_json(**p));
    }
    if (s.size() == 1 && s[0] == "releases") {
      if (m == "POST") return create_release(req, user);
      if (m != "GET") return method_not_allowed("GET, POST");
      auto list = store.list_releases(*page);
      if (!list) return from_error(list.error());
      json items = json::array();
      for (const auto& r : *list) items.push_back(to_json(r));
      return json_response(200, page_json(items, *page));
    }
    if (s.size() >= 2 && s[0] == "releases") {
      auto id = parse_id(s[1]);
      if (!id) return error_response(400, "request.invalid_id", "release ids are numbers");
      if (s.size() == 2) {
        if (m != "GET") return method_not_allowed("GET");
        auto r = store.get_release(*id);
        if (!r) return from_error(r.error());
        if (!*r) return error_response(404, "release.not_found", "no release with this id");
        auto deps = store.list_deployments(*id, Page{500, 0});
        if (!deps) return from_error(deps.error());
        json j = to_json(**r);
        j["deployments"] = json::array();
        for (const auto& d : *deps) j["deployments"].push_back(to_json(d));
        return json_response(200, j);
      }
      if (s.size() == 3 && s[2] == "deployments") {
        if (m == "POST") return create_deployment(req, user, *id);
        if (m != "GET") return method_not_allowed("GET, POST");
        auto deps = store.list_deployments(*id, *page);
        if (!deps) return from_error(deps.error());
        json items = json::array();
        for (const auto& d : *deps) items.push_back(to_json(d));
        return json_response(200, page_json(items, *page));
      }
    }
    if (s.size() == 1 && s[0] == "deployments") {
      if (m != "GET") return method_not_allowed("GET");
      auto deps = store.list_deployments(std::nullopt, *page);
      if (!deps) return from_error(deps.error());
      json items = json::array();
      for (const auto& d : *deps) items.push_back(to_json(d));
      return json_response(200, page_json(items, *page));
    }
    if (s.size() == 2 && s[0] == "deployments") {
      auto id = parse_id(s[1]);
      if (!id) return error_response(400, "request.invalid_id", "deployment ids are numbers");
      if (m != "GET") return method_not_allowed("GET");
      auto d = store.get_deployment(*id);
      if (!d) return from_error(d.error());
      if (!*d) return error_response(404, "deployment.not_found", "no deployment with this id");
      return json_response(200, to_json(**d));
    }
    if (s.size() == 1 && s[0] == "hosts") {
      if (m != "GET") return method_not_allowed("GET");
      auto hosts = store.list_hosts(*page);
      if (!hosts) return from_error(hosts.error());
      json items = json::array();
      for (const auto& h : *hosts) items.push_back(to_json(h, false));
      return json_response(200, page_json(items, *page));
    }
    if (s.size() == 2 && s[0] == "hosts") {
      if (m != "GET") return method_not_allowed("GET");
      auto h = store.get_host(s[1]);
      if (!h) return from_error(h.error());
      if (!*h) return error_response(404, "host.not_found", "no host with this agent id");
      return json_response(200, to_json(**h, true));
    }
    if (s.size() == 1 && s[0] == "audit") {
      if (m != "GET") return method_not_allowed("GET");
      auto entries = store.list_audit(*page);
      if (!entries) return from_error(entries.error());
      json items = json::array();
      for (const auto& e : *entries) items.push_back(to_json(e));
      return json_response(200, page_json(items, *page));
    }
    return error_response(404, "request.not_found", "no such route");
  }

  static ApiResponse method_not_allowed(const std::string& allowed) {
    auto r = error_response(405, "request.method_not_allowed", "this route takes " + allowed);
    r.headers["allow"] = allowed;
    return r;
  }
};

Router::Router(const ControllerConfig& config, Store& store, Dml& dml, AgentGateway& gateway)
    : impl_(std::make_shared<Impl>(Impl{config, store, dml, gateway})) {}

bool Router::is_upload(const std::string& method, const std::string& target) const {
  return method == "POST" &&
         (target == "/api/v1/packages" || target.rfind("/api/v1/packages?", 0) == 0);
}

std::optional<ApiResponse> Router::preauthorize(const ApiRequest& header_only) {
  auto auth = impl_->authenticate(header_only);
  if (auto* err = std::get_if<ApiResponse>(&auth)) return *err;
  return std::nullopt;
}

ApiResponse Router::handle(const ApiRequest& req) {
  try {
    return impl_->route(req);
  } catch (const std::exception& e) {
    spdlog::error("API: {} {}: internal error: {}", req.method, req.target, e.what());
    return error_response(500, "internal", "internal error; see the controller log");
  }
}

}  // namespace relman::controller
