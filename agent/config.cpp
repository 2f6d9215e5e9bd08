#include "agent/config.hpp"

#include "certs/ca.hpp"
#include "protocol/config_file.hpp"
#include "protocol/json_reader.hpp"

namespace relman::agent {

Result<AgentConfig> load_agent_config(const std::filesystem::path& file) {
  RELMAN_TRY(file_doc, protocol::read_config_file(file));
  auto path_of = [&](const std::string& p) { return file_doc.resolve(p); };
  const auto& doc = file_doc.doc;
  AgentConfig c;
  protocol::JsonReader r(doc);
  c.agent_id = r.string("agent_id", 64);
  c.controller_url = r.string("controller_url", 2048);
  c.download_url = r.optional_string("download_url", 2048).value_or("");
  if (const auto* tls = r.object("tls")) {
    protocol::JsonReader t(*tls, "tls");
    c.ca = path_of(t.string("ca", 4096));
    c.cert = path_of(t.string("cert", 4096));
    c.key = path_of(t.string("key", 4096));
    RELMAN_CHECK(t.finish_strict());
  }
  c.trust_file = path_of(r.string("trust", 4096));
  c.state_dir = path_of(r.string("state_dir", 4096));
  c.install_root = path_of(r.string("install_root", 4096));
  if (auto v = r.optional_string("inventory_root", 4096)) c.inventory_root = path_of(*v);
  if (auto v = r.optional_integer("inventory_interval_seconds", 10, 7 * 86400)) {
    c.inventory_interval_seconds = *v;
  }
  if (auto v = r.optional_integer("heartbeat_seconds", 1, 3600)) c.heartbeat_seconds = *v;
  if (auto v = r.optional_integer("reconnect_min_ms", 10, 60000)) c.reconnect_min_ms = *v;
  if (auto v = r.optional_integer("reconnect_max_ms", 100, 3600000)) c.reconnect_max_ms = *v;
  if (auto v = r.optional_integer("keep_versions", 1, 100)) c.keep_versions = *v;
  if (auto v = r.optional_integer("min_free_space_mb", 0, 1 << 30)) c.min_free_space_mb = *v;
  if (const auto* dpkg = r.optional_object("dpkg")) {
    protocol::JsonReader d(*dpkg, "dpkg");
    if (auto cmd = d.optional_string("command", 4096)) c.dpkg_command = path_of(*cmd);
    if (const auto* options = d.optional_array("options", 64)) {
      for (std::size_t i = 0; i < options->size(); ++i) {
        const auto& o = (*options)[i];
        std::string where = "options[" + std::to_string(i) + "]";
        if (!o.is_string() || o.get<std::string>().empty() || o.get<std::string>().size() > 4096) {
          d.reject(where, "config.invalid", "each dpkg option is a non-empty string");
          break;
        }
        c.dpkg_options.push_back(o.get<std::string>());
      }
    }
    if (auto v = d.optional_integer("timeout_seconds", 1, 86400)) c.dpkg_timeout_seconds = *v;
    RELMAN_CHECK(d.finish_strict());
  }
  RELMAN_CHECK(r.finish_strict());
  if (!pki::is_valid_agent_id(c.agent_id)) {
    return fail("config.invalid", "agent_id may hold letters, digits, '.', '_' and '-' only",
                "agent_id");
  }
  if (!c.download_url.empty() && !c.download_url.starts_with("https://")) {
    return fail("config.invalid", "download_url must start with https://", "download_url");
  }
  if (!c.dpkg_command.is_absolute()) {
    return fail("config.invalid", "dpkg.command must be an absolute path", "dpkg.command");
  }
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    return fail("config.invalid", "reconnect_max_ms must be >= reconnect_min_ms",
                "reconnect_max_ms");
  }
  return c;
}

}  // namespace relman::agent
