// The `database` section of relman-controller's configuration file: where the store lives.
// SQLite (default): one file. PostgreSQL: a server several controllers may share.
#pragma once

#include <filesystem>
#include <string>

#include "protocol/error.hpp"

namespace relman::controller {

struct DatabaseConfig {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  std::filesystem::path path;           // sqlite: the file
  std::string url;                      // postgresql: postgresql://user@host:port/dbname
  std::filesystem::path password_file;  // postgresql, optional: one line, the password
  std::string password;                 // read from password_file at load; never logged
  int pool_size = 8;                    // postgresql: connections at most
};

// Reads the section from the configuration file; without one, SQLite at `default_sqlite`.
// The URL must not carry a password (it would end up in logs): password_file does.
// Errors: config.read_failed, config.invalid (context = database.<key>), protocol.* for types.
Result<DatabaseConfig> load_database_config(const std::filesystem::path& config_file,
                                            const std::filesystem::path& default_sqlite);

}  // namespace relman::controller
