// Real relman processes on loopback with a fresh PKI, for integration tests: a controller on
// a SQLite file in a temp dir (or, with RELMAN_TEST_DB=postgresql, a fresh PostgreSQL
// database: tests/support/test_database.hpp) and any number of agents, each with its own
// certificate, state and install root.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "packaging/package.hpp"
#include "packaging/signing.hpp"
#include "protocol/https_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

namespace relman::test {

// CA, controller certificate, publisher and order keys, trust.json; agent certs on demand.
class TestPki {
 public:
  explicit TestPki(const std::filesystem::path& dir);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path ca_cert() const { return dir_ / "ca" / "ca.crt"; }
  std::filesystem::path server_cert() const { return dir_ / "controller.crt"; }
  std::filesystem::path server_key() const { return dir_ / "controller.key"; }
  std::filesystem::path order_key() const { return dir_ / "order.key"; }
  std::filesystem::path trust_file() const { return dir_ / "trust.json"; }
  const packaging::PrivateKey& publisher() const { return publisher_; }
  const packaging::PrivateKey& order_signing_key() const { return order_; }
  // Issues <dir>/agents/<id>.crt/.key (once) and returns the pair.
  std::pair<std::filesystem::path, std::filesystem::path> agent_cert(const std::string& id);

 private:
  std::filesystem::path dir_;
  packaging::PrivateKey publisher_;
  packaging::PrivateKey order_;
};

struct ApiResult {
  int status = 0;
  nlohmann::json body;  // parsed JSON (null if not JSON)
  std::string text;
};

class ControllerProcess {
 public:
  ControllerProcess(const std::filesystem::path& dir, TestPki& pki);
  ~ControllerProcess();
  // Starts and waits until it listens (throws on failure, with the log in the message).
  void start();
  void stop();
  void kill9();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path database() const { return data_dir() / "relman.db"; }
  // Runs one statement (`?` placeholders, values as text) on the controller's database, on
  // whichever backend it uses, past the controller: as a corrupted store would look. Returns
  // the rows changed; throws on failure.
  std::int64_t sql(const std::string& statement, const std::vector<std::string>& params = {});
  std::string log() const { return process_.log(); }
  const std::string& admin_password() const { return admin_password_; }
  // Extra keys merged into controller.json at the next start().
  nlohmann::json& config_overrides() { return overrides_; }

  // Logged-in API calls (logs in as admin on first use).
  ApiResult api(const std::string& method, const std::string& target,
                const nlohmann::json& body = nullptr);
  // Uploads a package and moves it through test and authorize, so that it can be deployed;
  // returns the upload's answer, or the first transition that failed. A package that is
  // already authorized (the same bytes again) is left as it is.
  ApiResult upload(const std::filesystem::path& package);
  // Only the upload: the version stays `uploaded` (for the DML lifecycle's own tests).
  ApiResult upload_raw(const std::filesystem::path& package);
  const std::string& token();
  // Logs in as another user and returns its token (throws when the login fails).
  std::string login(const std::string& username, const std::string& password);
  // A call with `token` (empty: none), a raw body (sent as JSON when not empty) and headers.
  ApiResult call(const std::string& token, const std::string& method, const std::string& target,
                 const std::string& body = {},
                 const std::map<std::string, std::string>& headers = {});
  // A client context with only the CA (no client certificate).
  std::shared_ptr<asio::ssl::context> anonymous_tls() const;

  // Every event of `types` (GET /events?types=..., e.g. "rollout.*"), oldest first, following
  // the pages (an agent's inventory fills the log with CMDB entries; a page may match nothing).
  nlohmann::json events(const std::string& types);
  // The id of the host CI the agent's reports created (attribute agent_id); throws if none.
  std::int64_t host_ci(const std::string& agent_id);
  // Waits until the deployment's status is succeeded or failed; returns its JSON.
  nlohmann::json wait_deployment(std::int64_t id,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  std::filesystem::path dir_;
  TestPki& pki_;
  Process process_;
  std::uint16_t port_ = 0;
  std::string admin_password_ = "correct-horse-battery-staple";
  std::string token_;
  nlohmann::json overrides_ = nlohmann::json::object();
  std::unique_ptr<PgTestDatabase> pg_;  // when the tests run on PostgreSQL
};

class AgentProcess {
 public:
  AgentProcess(const std::filesystem::path& dir, TestPki& pki, std::string agent_id,
               const ControllerProcess& controller);
  // Config overrides (merged into the generated config.json), e.g. another agent_id or cert.
  nlohmann::json& config() { return config_; }
  // Runs another agent binary (e.g. "relman-agent-crashpoints") with extra environment.
  void use_binary(std::string name, std::map<std::string, std::string> env = {}) {
    binary_ = std::move(name);
    env_ = std::move(env);
  }
  void start();
  void stop();
  void kill9();
  bool running() { return process_.running(); }
  std::string log() const { return process_.log(); }
  const std::string& id() const { return id_; }
  std::filesystem::path install_root() const { return dir_ / "root"; }
  std::filesystem::path state_dir() const { return dir_ / "state"; }

 private:
  std::filesystem::path dir_;
  std::string id_;
  nlohmann::json config_;
  std::string binary_ = "relman-agent";
  std::map<std::string, std::string> env_;
  Process process_;
};

// Builds and signs (with `key`, when given) a package whose payload is `files` (relative path ->
// content). Returns the package path.
std::filesystem::path make_package(const std::filesystem::path& out, const std::string& name,
                                   const std::string& version,
                                   const std::vector<std::pair<std::string, std::string>>& files,
                                   const packaging::PrivateKey* key,
                                   const std::string& health_check = {});
// The same with every hook (and its time limit) from `hooks`.
std::filesystem::path make_package(const std::filesystem::path& out, const std::string& name,
                                   const std::string& version,
                                   const std::vector<std::pair<std::string, std::string>>& files,
                                   const packaging::PrivateKey* key, const packaging::Hooks& hooks);

}  // namespace relman::test
