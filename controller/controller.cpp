#include "controller/controller.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "certs/tls_context.hpp"
#include "controller/api/http_server.hpp"
#include "controller/api/router.hpp"
#include "controller/auth/passwords.hpp"
#include "controller/deploy/order_signer.hpp"
#include "controller/dml/dml.hpp"
#include "controller/events/audit_feed.hpp"
#include "controller/events/webhook_dispatcher.hpp"
#include "controller/gateway/agent_gateway.hpp"
#include "controller/rollout/runner.hpp"
#include "controller/store/sql_store.hpp"
#include "packaging/signing.hpp"
#include "packaging/trust.hpp"
#include "protocol/clock.hpp"

namespace relman::controller {
namespace {

Result<void> make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("controller.io", "cannot create directory: " + ec.message(), dir.string());
  ::chmod(dir.c_str(), 0700);
  return ok();
}

// First start: create the admin user. The password comes from RELMAN_ADMIN_PASSWORD or is
// generated and written to <data>/initial-admin-password (0600) for the operator.
Result<void> ensure_admin(Store& store, const ControllerConfig& config) {
  RELMAN_TRY(count, store.count_users());
  if (count > 0) return ok();
  std::string password;
  bool generated = false;
  if (const char* env = std::getenv("RELMAN_ADMIN_PASSWORD"); env && *env) {
    password = env;
  } else {
    password = random_hex(12);
    generated = true;
  }
  RELMAN_TRY(hash, hash_password(password));
  RELMAN_CHECK(store.create_user("admin", hash, "admin", "controller"));
  if (generated) {
    auto file = config.data_dir / "initial-admin-password";
    mode_t old_mask = ::umask(077);
    std::ofstream out(file, std::ios::trunc);
    out << password << "\n";
    out.close();
    ::umask(old_mask);
    if (!out) return fail("controller.io", "cannot write the initial password", file.string());
    spdlog::warn("created user 'admin'; its password is in {}", file.string());
  } else {
    spdlog::info("created user 'admin' with the password from RELMAN_ADMIN_PASSWORD");
  }
  return ok();
}

Result<std::unique_ptr<SqlStore>> open_store(const DatabaseConfig& db) {
  if (db.kind == DatabaseConfig::Kind::postgresql) {
    // The URL carries no password (the config refuses one), so it may be logged.
    spdlog::info("store: PostgreSQL at {}", db.url);
    return SqlStore::open_postgresql(sql::PgTarget{db.url, db.password},
                                     static_cast<std::size_t>(db.pool_size));
  }
  spdlog::info("store: SQLite file {}", db.path.string());
  return SqlStore::open_sqlite(db.path);
}

}  // namespace

Result<void> run_controller(const ControllerConfig& config, const DatabaseConfig& database) {
  RELMAN_CHECK(make_private_dir(config.data_dir));
  RELMAN_CHECK(make_private_dir(config.upload_dir()));
  RELMAN_TRY(store, open_store(database));
  RELMAN_CHECK(store->mark_all_hosts_disconnected());
  RELMAN_CHECK(ensure_admin(*store, config));
  RELMAN_TRY(trust, packaging::load_trust_store(config.trust_file));
  RELMAN_TRY(order_key, packaging::load_private_key(config.order_signing_key));
  OrderSigner signer(order_key);
  if (!trust.find_order_key(signer.key_id())) {
    spdlog::warn(
        "the order-signing key {} is not among trust.json's order_keys: agents that "
        "use this trust file will refuse its orders",
        signer.key_id());
  }
  Dml dml(config.dml_dir(), trust, *store);
  RELMAN_CHECK(dml.open());
  RELMAN_TRY(tls, pki::make_server_context(
                      pki::ServerTlsFiles{config.tls_cert, config.tls_key, config.client_ca}));

  int threads = config.threads > 0
                    ? config.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  asio::io_context ioc(threads);
  asio::thread_pool blocking(static_cast<std::size_t>(std::max(2, threads)));
  AgentGateway gateway(*store, signer, blocking,
                       std::chrono::seconds(config.hello_timeout_seconds));
  gateway.set_software_blacklist(config.software_blacklist);
  WebhookDispatcher webhooks(*store, config.webhooks, config.webhook_dir());
  RELMAN_CHECK(webhooks.start());
  AttachmentStore attachments(config.attachment_dir(), config.attachment_max_bytes);
  RELMAN_CHECK(attachments.open());
  Router router(config, *store, dml, gateway, &webhooks, &attachments);
  EventBus events;
  AuditFeed feed(*store, events);
  RELMAN_CHECK(feed.start());
  HttpServerOptions server_options{config.upload_dir(), {}};
  server_options.events = &events;
  server_options.store = store.get();
  HttpServer server(ioc, tls, router, gateway, blocking, server_options);
  RELMAN_TRY(port, server.listen(config.listen, config.port));
  server.start();
  spdlog::info("relman-controller listening on https://{}:{} (data in {})", config.listen, port,
               config.data_dir.string());
  if (!config.ready_file.empty()) {
    auto tmp = config.ready_file;
    tmp += ".tmp";
    std::ofstream(tmp, std::ios::trunc) << port << "\n";
    std::error_code ec;
    std::filesystem::rename(tmp, config.ready_file, ec);
    if (ec) return fail("controller.io", "cannot write the ready file", config.ready_file);
  }

  // Targets whose host never came online before the deadline fail with a reason instead of
  // staying pending forever.
  asio::steady_timer sweep(ioc);
  std::function<void()> schedule_sweep = [&] {
    sweep.expires_after(std::chrono::seconds(15));
    sweep.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      asio::post(blocking, [&] {
        if (auto n = store->expire_pending_targets(unix_seconds()); !n) {
          spdlog::error("expiring overdue targets: {}", n.error().describe());
        } else if (*n > 0) {
          spdlog::info("{} target(s) expired before their host connected", *n);
        }
      });
      schedule_sweep();
    });
  };
  schedule_sweep();

  // The rollout engine continues every rollout the store says is active (after a restart too).
  rollout::RolloutRunner rollouts(
      *store, [&gateway](const std::string& host) { gateway.notify(host); },
      std::chrono::seconds(1));
  rollouts.start();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: stopping", sig);
    sweep.cancel();
    server.stop();
    ioc.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  rollouts.stop();
  blocking.stop();
  blocking.join();
  spdlog::info("relman-controller stopped");
  return ok();
}

}  // namespace relman::controller
