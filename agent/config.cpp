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
  RELMAN_CHECK(r.finish_strict());
  if (!pki::is_valid_agent_id(c.agent_id)) {
    return fail("config.invalid", "agent_id may hold letters, digits, '.', '_' and '-' only",
                "agent_id");
  }
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    return fail("config.invalid", "reconnect_max_ms must be >= reconnect_min_ms",
                "reconnect_max_ms");
  }
  return c;
}

}  // namespace relman::agent
