#include "controller/database_config.hpp"

#include <fstream>
#include <iterator>

#include "protocol/config_file.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {

constexpr std::size_t kMaxPasswordBytes = 1024;

// A URL that carries a password would put it in a file that is often world-readable, and in
// every message that shows the URL.
bool url_has_password(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?", start);
  auto authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  auto at = authority.rfind('@');
  if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
    return true;
  }
  return url.find("password=") != std::string::npos;
}

Result<std::string> read_password(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail("config.invalid", "cannot read the database password file " + file.string(),
                "database.password_file");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty() || text.size() > kMaxPasswordBytes ||
      text.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) {
    return fail("config.invalid",
                "the database password file must hold one line of 1.." +
                    std::to_string(kMaxPasswordBytes) + " bytes",
                "database.password_file");
  }
  return text;
}

}  // namespace

Result<DatabaseConfig> load_database_config(const std::filesystem::path& config_file,
                                            const std::filesystem::path& default_sqlite) {
  RELMAN_TRY(file, protocol::read_config_file(config_file));
  DatabaseConfig d;
  d.path = default_sqlite;
  auto found = file.doc.find("database");
  if (found == file.doc.end()) return d;
  const nlohmann::json& section = *found;
  if (!section.is_object()) {
    return fail("config.invalid", "database must be an object", "database");
  }
  protocol::JsonReader r(section, "database");
  const std::string kind = r.string("kind", 32);
  RELMAN_CHECK(r.finish_tolerant());
  if (kind == "sqlite") {
    if (auto v = r.optional_string("path", 4096)) d.path = file.resolve(*v);
    for (const char* key : {"url", "password_file", "pool_size"}) {
      if (section.contains(key)) {
        return fail("config.invalid",
                    std::string(key) + " is for kind \"postgresql\"; kind \"sqlite\" takes path",
                    std::string("database.") + key);
      }
    }
  } else if (kind == "postgresql") {
    d.kind = DatabaseConfig::Kind::postgresql;
    if (section.contains("path")) {
      return fail("config.invalid", "path is for kind \"sqlite\"; kind \"postgresql\" takes url",
                  "database.path");
    }
    d.url = r.string("url", 4096);
    RELMAN_CHECK(r.finish_tolerant());
    if (!d.url.starts_with("postgresql://") && !d.url.starts_with("postgres://")) {
      return fail("config.invalid",
                  "url must be a postgresql:// URL (postgresql://user@host:port/dbname)",
                  "database.url");
    }
    if (url_has_password(d.url)) {
      return fail("config.invalid",
                  "url must not carry the password: put it in a file named by "
                  "database.password_file",
                  "database.url");
    }
    if (auto v = r.optional_string("password_file", 4096)) {
      d.password_file = file.resolve(*v);
      RELMAN_TRY(password, read_password(d.password_file));
      d.password = std::move(password);
    }
    if (auto v = r.optional_integer("pool_size", 1, 64)) d.pool_size = static_cast<int>(*v);
  } else {
    r.reject("kind", "config.invalid", "kind must be \"sqlite\" or \"postgresql\"");
  }
  RELMAN_CHECK(r.finish_strict());
  return d;
}

}  // namespace relman::controller
