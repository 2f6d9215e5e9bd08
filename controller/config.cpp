#include "controller/config.hpp"

#include "protocol/config_file.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {

Result<ControllerConfig> load_controller_config(const std::filesystem::path& file) {
  RELMAN_TRY(file_doc, protocol::read_config_file(file));
  auto path_of = [&](const std::string& p) { return file_doc.resolve(p); };
  const auto& doc = file_doc.doc;
  ControllerConfig c;
  protocol::JsonReader r(doc);
  if (auto v = r.optional_string("listen")) c.listen = *v;
  if (auto v = r.optional_integer("port", 0, 65535)) c.port = static_cast<std::uint16_t>(*v);
  c.data_dir = path_of(r.string("data_dir", 4096));
  if (const auto* tls = r.object("tls")) {
    protocol::JsonReader t(*tls, "tls");
    c.tls_cert = path_of(t.string("cert", 4096));
    c.tls_key = path_of(t.string("key", 4096));
    c.client_ca = path_of(t.string("client_ca", 4096));
    RELMAN_CHECK(t.finish_strict());
  }
  c.order_signing_key = path_of(r.string("order_signing_key", 4096));
  c.trust_file = path_of(r.string("trust", 4096));
  if (auto v = r.optional_integer("order_ttl_seconds", 60, 30 * 86400)) c.order_ttl_seconds = *v;
  if (auto v = r.optional_integer("session_ttl_seconds", 60, 30 * 86400)) {
    c.session_ttl_seconds = *v;
  }
  if (auto v = r.optional_integer("threads", 0, 256)) c.threads = static_cast<int>(*v);
  if (auto v = r.optional_integer("hello_timeout_seconds", 1, 300)) c.hello_timeout_seconds = *v;
  if (auto v = r.optional_integer("host_stale_after_seconds", 1, 365 * 86400)) {
    c.host_stale_after_seconds = *v;
  }
  if (auto v = r.optional_string("ready_file", 4096)) c.ready_file = path_of(*v);
  if (auto v = r.optional_integer("attachment_max_bytes", 1,
                                  static_cast<std::int64_t>(kMaxAttachmentMaxBytes))) {
    c.attachment_max_bytes = static_cast<std::uint64_t>(*v);
  }
  if (const auto* hooks = r.optional_array("webhooks", 32)) {
    RELMAN_TRY(parsed, parse_webhook_configs(*hooks, path_of));
    c.webhooks = std::move(parsed);
  }
  if (const auto* m = r.optional_object("priority_matrix")) {
    RELMAN_TRY(matrix, parse_priority_matrix(*m));
    c.priority_matrix = matrix;
  }
  if (const auto* list = r.optional_array("software_blacklist", 1000)) {
    for (const auto& name : *list) {
      if (!name.is_string() || name.get_ref<const std::string&>().empty() ||
          name.get_ref<const std::string&>().size() > 256) {
        return fail("config.invalid", "software_blacklist holds package names of 1 to 256 bytes",
                    "software_blacklist");
      }
      c.software_blacklist.push_back(name.get<std::string>());
    }
  }
  r.allow("database");  // read by load_database_config (controller/database_config.hpp)
  RELMAN_CHECK(r.finish_strict());
  return c;
}

}  // namespace relman::controller
