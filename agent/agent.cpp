#include "agent/agent.hpp"

#include <spdlog/spdlog.h>

#include "agent/installer/installer.hpp"
#include "agent/link/controller_link.hpp"
#include "certs/tls_context.hpp"
#include "packaging/trust.hpp"
#include "protocol/https_client.hpp"

namespace relman::agent {

Result<void> run_agent(const AgentConfig& config,
                       std::function<void(std::string_view)> install_steps) {
  RELMAN_TRY(trust, packaging::load_trust_store(config.trust_file));
  RELMAN_TRY(tls,
             pki::make_client_context(pki::ClientTlsFiles{config.ca, config.cert, config.key}));
  RELMAN_TRY(endpoint,
             protocol::parse_endpoint_url(config.download_url.empty() ? config.controller_url
                                                                      : config.download_url));

  // Package downloads use the same client certificate, over plain HTTPS with Range resume.
  Fetcher fetch = [tls, endpoint](
                      const protocol::DeployOrder& order, const std::filesystem::path& dest,
                      const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                      const std::function<void(std::uint64_t, std::string_view)>& on_data)
      -> Result<std::uint64_t> {
    protocol::HttpsClient client(tls, endpoint, std::chrono::seconds(60));
    return client.download(
        order.download_path, {}, dest, static_cast<std::uint64_t>(order.package_size),
        [&](const protocol::DownloadProgress& p) { progress(p.bytes_done, p.bytes_total); },
        on_data);
  };
  InstallerConfig ic;
  ic.agent_id = config.agent_id;
  ic.install_root = config.install_root;
  ic.state_dir = config.state_dir;
  ic.trust = trust;
  ic.keep_versions = config.keep_versions;
  ic.min_free_bytes = static_cast<std::uint64_t>(config.min_free_space_mb) << 20;
  ic.dpkg = DpkgConfig{config.dpkg_command, config.dpkg_options,
                       std::chrono::seconds(config.dpkg_timeout_seconds)};
  ic.step_observer = std::move(install_steps);
  Installer installer(std::move(ic), fetch);
  RELMAN_CHECK(installer.open());

  asio::io_context ioc(1);
  asio::thread_pool worker(1);  // installs run one at a time, off the network thread
  ControllerLink link(ioc, config, tls, installer, worker);
  asio::co_spawn(ioc, link.run(), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: stopping", sig);
    ioc.stop();
  });
  spdlog::info("relman-agent {} starting; controller {}", config.agent_id, config.controller_url);
  ioc.run();
  worker.join();  // an install in progress finishes (its journal covers a kill, too)
  spdlog::info("relman-agent stopped");
  return ok();
}

}  // namespace relman::agent
