#include "cli/session.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/clock.hpp"

namespace relman::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

Error not_logged_in() {
  return Error{"cli.not_logged_in",
               "run 'relman login --url … --ca …' first, or set RELMAN_URL/RELMAN_CA/RELMAN_TOKEN",
               {}};
}

}  // namespace

fs::path session_path() {
  if (auto p = env("RELMAN_SESSION"); !p.empty()) return p;
  auto home = env("HOME");
  if (home.empty()) return {};
  return fs::path(home) / ".config" / "relman" / "session.json";
}

Result<std::optional<Session>> read_session(const fs::path& path) {
  if (path.empty()) return std::optional<Session>();
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<Session>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cli.session_unreadable", "cannot read the session file", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = json::parse(text, nullptr, false);
  auto str = [&](const char* key) -> std::optional<std::string> {
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto url = str("url"), ca = str("ca"), token = str("token");
  if (!url || !ca || !token) {
    return fail("cli.session_invalid",
                "the session file is damaged; run 'relman login' again or remove it",
                path.string());
  }
  Session s{*url, *ca, *token, str("username").value_or(""), 0};
  if (auto it = j.find("expires_at"); it != j.end() && it->is_number_integer()) {
    s.expires_at = it->get<std::int64_t>();
  }
  return std::optional<Session>(std::move(s));
}

Result<void> write_session(const fs::path& path, const Session& s) {
  if (path.empty()) {
    return fail("cli.session_path", "set HOME or RELMAN_SESSION to say where the session goes");
  }
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  // Create missing directories one by one, each 0700; existing ones are left as they are.
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path d = dir; !d.empty() && !fs::exists(d, ec); d = d.parent_path()) {
    missing.push_back(d);
    if (d == d.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return fail("cli.session_write_failed",
                  std::string("cannot create the directory: ") + std::strerror(errno),
                  it->string());
    }
  }
  json j{{"url", s.url},
         {"ca", s.ca},
         {"token", s.token},
         {"username", s.username},
         {"expires_at", s.expires_at}};
  std::string text = j.dump(2) + "\n";
  std::string tmp = (dir / (path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    return fail("cli.session_write_failed",
                std::string("cannot create the session file: ") + std::strerror(errno),
                dir.string());
  }
  bool written = true;
  for (std::size_t done = 0; done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      written = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (written) written = ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (written) saved_errno = errno;
    ::unlink(tmp.c_str());
    return fail("cli.session_write_failed",
                std::string("cannot write the session file: ") + std::strerror(saved_errno),
                path.string());
  }
  return ok();
}

Result<ConnectionSettings> resolve_settings(const ConnectionOptions& o, bool need_token) {
  ConnectionSettings s;
  s.url = !o.url.empty() ? o.url : env("RELMAN_URL");
  s.ca = !o.ca.empty() ? o.ca : env("RELMAN_CA");
  s.token = env("RELMAN_TOKEN");
  if (s.url.empty() || s.ca.empty() || (need_token && s.token.empty())) {
    auto path = session_path();
    auto session = read_session(path);
    if (!session) return fail(session.error());
    if (*session) {
      const Session& f = **session;
      if (s.url.empty()) s.url = f.url;
      if (s.ca.empty()) s.ca = f.ca;
      if (s.token.empty() && s.url == f.url) {
        s.token = f.token;
        s.token_from_session = true;
        s.session_expires_at = f.expires_at;
      }
    }
  }
  if (s.url.empty() || s.ca.empty() || (need_token && s.token.empty())) {
    return fail(not_logged_in());
  }
  while (s.url.size() > 8 && s.url.back() == '/') s.url.pop_back();
  return s;
}

Result<void> check_session_expiry(const ConnectionSettings& s) {
  auto now = unix_seconds();
  if (s.token_from_session && s.session_expires_at > 0 && s.session_expires_at <= now) {
    return fail("cli.session_expired", "the session has expired; run 'relman login' again",
                session_path().string());
  }
  return ok();
}

}  // namespace relman::cli
