// The online commands' session file ($RELMAN_SESSION, else ~/.config/relman/session.json,
// mode 0600) and where a command's url, CA and token come from: options, then the
// environment (RELMAN_URL, RELMAN_CA, RELMAN_TOKEN), then the session file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "protocol/error.hpp"

namespace relman::cli {

// --url / --ca, registered on every online subcommand.
struct ConnectionOptions {
  std::string url;
  std::string ca;
};

struct Session {
  std::string url;
  std::string ca;
  std::string token;
  std::string username;
  std::int64_t expires_at = 0;
};

struct ConnectionSettings {
  std::string url;
  std::string ca;
  std::string token;
  bool token_from_session = false;
  std::int64_t session_expires_at = 0;  // when the token is the session's; 0: unknown
};

// $RELMAN_SESSION, else $HOME/.config/relman/session.json; empty when neither is set.
std::filesystem::path session_path();

// The session file, or nullopt when there is none. A file that exists but cannot be used is
// an error (cli.session_unreadable, cli.session_invalid), so that a damaged file is not
// silently ignored.
Result<std::optional<Session>> read_session(const std::filesystem::path& path);

// Writes the session file 0600 (directory 0700 when this creates it), replacing it atomically.
// Errors: cli.session_path, cli.session_write_failed.
Result<void> write_session(const std::filesystem::path& path, const Session& s);

// Options, then the environment, then the session file. The session's token is only sent to
// the server it was issued by. cli.not_logged_in when something needed is still missing.
Result<ConnectionSettings> resolve_settings(const ConnectionOptions& o, bool need_token);

// cli.session_expired when the token is the session's and its known expiry has passed.
Result<void> check_session_expiry(const ConnectionSettings& s);

}  // namespace relman::cli
