#include "tests/support/cluster.hpp"

#include <fstream>
#include <stdexcept>

#include "certs/ca.hpp"
#include "certs/tls_context.hpp"
#include "packaging/trust.hpp"

namespace relman::test {
namespace {
template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
  return std::move(*r);
}
void must(Result<void> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
}
}  // namespace

TestPki::TestPki(const std::filesystem::path& dir) : dir_(dir) {
  std::filesystem::create_directories(dir_);
  must(pki::init_ca(dir_ / "ca", "relman test CA"), "init CA");
  pki::IssueRequest server;
  server.kind = pki::CertKind::server;
  server.common_name = "controller";
  server.dns_names = {"localhost"};
  server.ip_addresses = {"127.0.0.1", "::1"};
  must(pki::issue_certificate(dir_ / "ca", server, server_cert(), server_key()), "server cert");
  publisher_ = packaging::generate_signing_key();
  order_ = packaging::generate_signing_key();
  must(packaging::save_private_key(order_, order_key()), "order key");
  packaging::TrustStore trust;
  trust.threshold = 1;
  trust.publishers.push_back({"test-publisher", publisher_.public_key()});
  trust.order_keys.push_back({"controller", order_.public_key()});
  must(packaging::save_trust_store(trust, trust_file()), "trust.json");
}

std::pair<std::filesystem::path, std::filesystem::path> TestPki::agent_cert(const std::string& id) {
  auto crt = dir_ / "agents" / (id + ".crt");
  auto key = dir_ / "agents" / (id + ".key");
  if (!std::filesystem::exists(crt)) {
    std::filesystem::create_directories(crt.parent_path());
    pki::IssueRequest req;
    req.kind = pki::CertKind::agent;
    req.common_name = id;
    must(pki::issue_certificate(dir_ / "ca", req, crt, key), "agent cert " + id);
  }
  return {crt, key};
}

ControllerProcess::ControllerProcess(const std::filesystem::path& dir, TestPki& pki)
    : dir_(dir), pki_(pki) {
  std::filesystem::create_directories(dir_);
  if (postgres_selected()) pg_ = std::make_unique<PgTestDatabase>();
}

ControllerProcess::~ControllerProcess() { stop(); }

void ControllerProcess::start() {
  auto ready = dir_ / "ready";
  std::filesystem::remove(ready);
  nlohmann::json cfg{{"listen", "127.0.0.1"},
                     {"port", port_},  // the same port again after a restart
                     {"data_dir", data_dir().string()},
                     {"tls",
                      {{"cert", pki_.server_cert().string()},
                       {"key", pki_.server_key().string()},
                       {"client_ca", pki_.ca_cert().string()}}},
                     {"order_signing_key", pki_.order_key().string()},
                     {"trust", pki_.trust_file().string()},
                     {"threads", 2},
                     {"ready_file", ready.string()}};
  if (pg_) {
    cfg["database"] = {{"kind", "postgresql"}, {"url", pg_->url()}};
    if (!postgres_password_file().empty()) {
      cfg["database"]["password_file"] = postgres_password_file().string();
    }
  }
  cfg.update(overrides_);
  write_file(dir_ / "controller.json", cfg.dump(2));
  process_.start({binary_path("relman-controller").string(), "--config",
                  (dir_ / "controller.json").string(), "--log-level", "debug"},
                 dir_ / "controller.log", {{"RELMAN_ADMIN_PASSWORD", admin_password_}});
  bool up = wait_until([&] { return std::filesystem::exists(ready) || !process_.running(); },
                       std::chrono::seconds(30));
  if (!up || !std::filesystem::exists(ready)) {
    throw std::runtime_error("controller did not start:\n" + process_.log());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(read_file(ready)));
}

void ControllerProcess::stop() { process_.stop(); }

std::int64_t ControllerProcess::sql(const std::string& statement,
                                    const std::vector<std::string>& params) {
  if (!pg_) return sqlite_exec(database(), statement, params);
  std::string numbered;
  int n = 0;
  for (char c : statement) {
    if (c == '?') {
      numbered += "$" + std::to_string(++n);
    } else {
      numbered += c;
    }
  }
  return pg_exec(pg_->url(), numbered, params);
}
void ControllerProcess::kill9() { process_.kill9(); }

std::shared_ptr<asio::ssl::context> ControllerProcess::anonymous_tls() const {
  return must(pki::make_client_context(pki::ClientTlsFiles{pki_.ca_cert(), {}, {}}), "client TLS");
}

const std::string& ControllerProcess::token() {
  if (token_.empty()) {
    protocol::HttpsClient client(anonymous_tls(), {"127.0.0.1", port_});
    protocol::HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/auth/login";
    req.headers["content-type"] = "application/json";
    req.body = nlohmann::json{{"username", "admin"}, {"password", admin_password_}}.dump();
    auto r = must(client.request(req), "login");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.contains("token")) {
      throw std::runtime_error("login failed: " + r.body);
    }
    token_ = j["token"].get<std::string>();
  }
  return token_;
}

ApiResult ControllerProcess::api(const std::string& method, const std::string& target,
                                 const nlohmann::json& body) {
  protocol::HttpsClient client(anonymous_tls(), {"127.0.0.1", port_});
  protocol::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers["authorization"] = "Bearer " + token();
  if (!body.is_null()) {
    req.headers["content-type"] = "application/json";
    req.body = body.dump();
  }
  auto r = must(client.request(req), method + " " + target);
  return ApiResult{r.status, nlohmann::json::parse(r.body, nullptr, false), r.body};
}

std::string ControllerProcess::login(const std::string& username, const std::string& password) {
  auto r = call("", "POST", "/api/v1/auth/login",
                nlohmann::json{{"username", username}, {"password", password}}.dump());
  if (r.status != 200 || !r.body.contains("token")) {
    throw std::runtime_error("login as " + username + " failed: " + r.text);
  }
  return r.body["token"].get<std::string>();
}

ApiResult ControllerProcess::call(const std::string& token, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
  protocol::HttpsClient client(anonymous_tls(), {"127.0.0.1", port_});
  protocol::HttpRequest req;
  req.method = method;
  req.target = target;
  if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
  if (!body.empty()) {
    req.headers["content-type"] = "application/json";
    req.body = body;
  }
  for (const auto& [k, v] : headers) req.headers[k] = v;
  auto r = must(client.request(req), method + " " + target);
  return ApiResult{r.status, nlohmann::json::parse(r.body, nullptr, false), r.body};
}

ApiResult ControllerProcess::upload(const std::filesystem::path& package) {
  auto up = upload_raw(package);
  if (up.status != 201) return up;
  const auto path = "/api/v1/packages/" + std::to_string(up.body.value("id", 0)) + "/transitions";
  // uploaded -> tested -> authorized; a version already further along skips its steps.
  const std::pair<const char*, const char*> steps[] = {{"uploaded", "test"},
                                                       {"tested", "authorize"}};
  for (const auto& [from, action] : steps) {
    if (up.body.value("status", "") != from) continue;
    auto t = api("POST", path, nlohmann::json{{"action", action}});
    if (t.status != 200) return t;
    up.body["status"] = t.body["status"];
  }
  return up;
}

ApiResult ControllerProcess::upload_raw(const std::filesystem::path& package) {
  protocol::HttpsClient client(anonymous_tls(), {"127.0.0.1", port_});
  protocol::HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/packages";
  req.headers["authorization"] = "Bearer " + token();
  req.headers["content-type"] = "application/octet-stream";
  req.body_file = package;
  auto r = must(client.request(req), "upload");
  return ApiResult{r.status, nlohmann::json::parse(r.body, nullptr, false), r.body};
}

nlohmann::json ControllerProcess::events(const std::string& types) {
  nlohmann::json items = nlohmann::json::array();
  std::int64_t after = 0;
  for (int page = 0; page < 1000; ++page) {
    auto r =
        api("GET", "/api/v1/events?limit=500&after=" + std::to_string(after) + "&types=" + types);
    if (r.status != 200) throw std::runtime_error("GET /events: " + r.text);
    for (const auto& e : r.body["items"]) items.push_back(e);
    const std::int64_t last = r.body.value("last_id", after);
    if (last == after) break;
    after = last;
  }
  return items;
}

std::int64_t ControllerProcess::host_ci(const std::string& agent_id) {
  auto r = api("GET", "/api/v1/cmdb/cis?class=host&limit=500");
  if (r.status != 200) throw std::runtime_error("GET /cmdb/cis: " + r.text);
  for (const auto& ci : r.body["items"]) {
    if (ci["attributes"].value("agent_id", "") == agent_id) return ci["id"].get<std::int64_t>();
  }
  throw std::runtime_error("no host CI for agent " + agent_id + ": " + r.text);
}

nlohmann::json ControllerProcess::wait_deployment(std::int64_t id,
                                                  std::chrono::milliseconds timeout) {
  nlohmann::json last;
  wait_until(
      [&] {
        auto r = api("GET", "/api/v1/deployments/" + std::to_string(id));
        last = r.body;
        auto status = last.value("status", "");
        return status == "succeeded" || status == "failed";
      },
      timeout);
  return last;
}

AgentProcess::AgentProcess(const std::filesystem::path& dir, TestPki& pki, std::string agent_id,
                           const ControllerProcess& controller)
    : dir_(dir), id_(std::move(agent_id)) {
  std::filesystem::create_directories(dir_);
  auto [crt, key] = pki.agent_cert(id_);
  config_ = nlohmann::json{
      {"agent_id", id_},
      {"controller_url", "wss://127.0.0.1:" + std::to_string(controller.port())},
      {"tls", {{"ca", pki.ca_cert().string()}, {"cert", crt.string()}, {"key", key.string()}}},
      {"trust", pki.trust_file().string()},
      {"state_dir", state_dir().string()},
      {"install_root", install_root().string()},
      {"reconnect_min_ms", 100},
      {"reconnect_max_ms", 1000}};
}

void AgentProcess::start() {
  write_file(dir_ / "agent.json", config_.dump(2));
  process_.start({binary_path(binary_).string(), "--config", (dir_ / "agent.json").string(),
                  "--log-level", "debug"},
                 dir_ / "agent.log", env_);
}

void AgentProcess::stop() { process_.stop(); }
void AgentProcess::kill9() { process_.kill9(); }

std::filesystem::path make_package(const std::filesystem::path& out, const std::string& name,
                                   const std::string& version,
                                   const std::vector<std::pair<std::string, std::string>>& files,
                                   const packaging::PrivateKey* key,
                                   const std::string& health_check) {
  packaging::Hooks hooks;
  hooks.health_check = health_check;
  return make_package(out, name, version, files, key, hooks);
}

std::filesystem::path make_package(const std::filesystem::path& out, const std::string& name,
                                   const std::string& version,
                                   const std::vector<std::pair<std::string, std::string>>& files,
                                   const packaging::PrivateKey* key,
                                   const packaging::Hooks& hooks) {
  auto payload = out.parent_path() / (out.filename().string() + ".payload");
  std::filesystem::remove_all(payload);
  for (const auto& [path, content] : files) write_file(payload / path, content);
  packaging::BuildSpec spec;
  spec.manifest.name = name;
  spec.manifest.version = version;
  spec.manifest.platform = "any";
  spec.manifest.hooks = hooks;
  spec.payload_dir = payload;
  must(packaging::build_package(spec, out), "build package");
  if (key) must(packaging::sign_package(out, *key), "sign package");
  return out;
}

}  // namespace relman::test
