// relman login|logout|package|release|deploy|deployment|hosts: the online commands. They talk
// to the controller's REST API only, through protocol::HttpsClient, and never trust the
// server's JSON: every field is read with its type checked, and a missing one prints "-".
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "certs/tls_context.hpp"
#include "cli/commands.hpp"
#include "protocol/clock.hpp"
#include "protocol/https_client.hpp"

namespace relman::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::chrono::seconds kUploadTimeout{600};  // large packages: send + server-side checks
constexpr std::chrono::milliseconds kPollInterval{500};
constexpr std::int64_t kPageSize = 500;  // the API's maximum `limit`
constexpr int kMaxPages = 2000;          // a server that never ends a list is refused
constexpr std::size_t kMaxPasswordBytes = 1024;

// ---- connection settings ----

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

struct Settings {
  std::string url;
  std::string ca;
  std::string token;
  bool token_from_session = false;
  std::int64_t session_expires_at = 0;  // when the token is the session's; 0: unknown
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

fs::path session_path() {
  if (auto p = env("RELMAN_SESSION"); !p.empty()) return p;
  auto home = env("HOME");
  if (home.empty()) return {};
  return fs::path(home) / ".config" / "relman" / "session.json";
}

Error not_logged_in() {
  return Error{"cli.not_logged_in",
               "run 'relman login --url … --ca …' first, or set RELMAN_URL/RELMAN_CA/RELMAN_TOKEN",
               {}};
}

// The session file, or nullopt when there is none. A file that exists but cannot be used is
// an error, so that a damaged file is not silently ignored.
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

// Writes the session file 0600 (directory 0700 when this creates it), replacing it atomically.
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

// Options, then the environment, then the session file. The session's token is only sent to
// the server it was issued by.
Result<Settings> resolve_settings(const ConnectionOptions& o, bool need_token) {
  Settings s;
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

// ---- the API client ----

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A non-2xx answer as the API's own error, or a generic one when its body is not the API's.
Error status_error(const protocol::HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_object()) {
      auto code = e->find("code");
      auto message = e->find("message");
      if (code != e->end() && code->is_string() && message != e->end() && message->is_string()) {
        Error out{code->get<std::string>(), message->get<std::string>(), {}};
        if (auto c = e->find("context"); c != e->end() && c->is_string()) {
          out.context = c->get<std::string>();
        }
        return out;
      }
    }
  }
  return Error{"http.status_" + std::to_string(r.status),
               "the controller answered HTTP " + std::to_string(r.status),
               {}};
}

class ApiClient {
 public:
  static Result<ApiClient> open(const Settings& settings) {
    if (!settings.url.starts_with("https://")) {
      return fail("protocol.invalid_url", "the controller URL must start with https://",
                  settings.url);
    }
    auto endpoint = protocol::parse_endpoint_url(settings.url);
    if (!endpoint) return fail(endpoint.error());
    std::error_code ec;
    if (!fs::is_regular_file(settings.ca, ec)) {
      return fail("cli.ca_missing", "the CA certificate file does not exist", settings.ca);
    }
    auto tls = pki::make_client_context(pki::ClientTlsFiles{settings.ca, {}, {}});
    if (!tls) return fail(tls.error());
    return ApiClient(std::move(*tls), std::move(*endpoint), settings.token);
  }

  // One request; the parsed JSON of a 2xx answer, or the API's error.
  Result<json> call(const std::string& method, const std::string& target,
                    const std::optional<json>& body = std::nullopt,
                    std::chrono::seconds timeout = kRequestTimeout) {
    protocol::HttpRequest req;
    req.method = method;
    req.target = target;
    if (body) {
      req.body = body->dump();
      req.headers["content-type"] = "application/json";
    }
    return send(req, timeout);
  }

  Result<json> upload(const fs::path& file) {
    protocol::HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/packages";
    req.body_file = file;
    req.headers["content-type"] = "application/octet-stream";
    return send(req, kUploadTimeout);
  }

  // Every page of a list route, as one array.
  Result<json> list(const std::string& route) {
    json items = json::array();
    for (int page = 0; page < kMaxPages; ++page) {
      auto r = call("GET", route + "?limit=" + std::to_string(kPageSize) +
                               "&offset=" + std::to_string(page * kPageSize));
      if (!r) return fail(r.error());
      auto it = r->find("items");
      if (!r->is_object() || it == r->end() || !it->is_array()) {
        return fail("cli.bad_response", "the controller's list has no items array", route);
      }
      for (auto& item : *it) items.push_back(std::move(item));
      if (it->size() < static_cast<std::size_t>(kPageSize)) return items;
    }
    return fail("cli.bad_response", "the controller's list does not end", route);
  }

 private:
  ApiClient(std::shared_ptr<asio::ssl::context> tls, protocol::Endpoint endpoint, std::string token)
      : tls_(std::move(tls)), endpoint_(std::move(endpoint)), token_(std::move(token)) {}

  Result<json> send(protocol::HttpRequest& req, std::chrono::seconds timeout) {
    if (!token_.empty()) req.headers["authorization"] = "Bearer " + token_;
    protocol::HttpsClient client(tls_, endpoint_, timeout);
    auto r = client.request(req);
    if (!r) return fail(r.error());
    if (r->status < 200 || r->status > 299) return fail(status_error(*r));
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return fail("cli.bad_response", "the controller's answer is not a JSON object",
                  req.method + " " + req.target);
    }
    return j;
  }

  std::shared_ptr<asio::ssl::context> tls_;
  protocol::Endpoint endpoint_;
  std::string token_;
};

Result<ApiClient> connect(const ConnectionOptions& o) {
  auto settings = resolve_settings(o, /*need_token=*/true);
  if (!settings) return fail(settings.error());
  auto now = unix_seconds();
  if (settings->token_from_session && settings->session_expires_at > 0 &&
      settings->session_expires_at <= now) {
    return fail("cli.session_expired", "the session has expired; run 'relman login' again",
                session_path().string());
  }
  return ApiClient::open(*settings);
}

// ---- reading and printing the server's JSON ----

// Control characters from the server are not written to the terminal.
std::string printable(std::string s) {
  for (auto& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s;
}

const json* field(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string text(const json& obj, const char* key) {
  const json* v = field(obj, key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return v->get<std::string>().empty() ? "-" : printable(v->get<std::string>());
  if (v->is_boolean()) return v->get<bool>() ? "yes" : "no";
  if (v->is_number()) return v->dump();
  return printable(v->dump());
}

std::optional<std::int64_t> integer(const json& obj, const char* key) {
  const json* v = field(obj, key);
  if (!v || !v->is_number_integer()) return std::nullopt;
  return v->get<std::int64_t>();
}

std::string iso_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string time_text(const json& obj, const char* key) {
  auto t = integer(obj, key);
  return t && *t > 0 ? iso_time(*t) : "-";
}

std::string size_text(const json& obj, const char* key) {
  auto n = integer(obj, key);
  if (!n || *n < 0) return "-";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(*n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

const json& array_of(const json& obj, const char* key) {
  static const json kEmpty = json::array();
  const json* v = field(obj, key);
  return v && v->is_array() ? *v : kEmpty;
}

// Columns padded to their widest cell, two spaces apart; the last column is not padded.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::string& indent = "") {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent;
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [k, v] : fields) width = std::max(width, k.size());
  for (const auto& [k, v] : fields) {
    std::cout << k << ":" << std::string(width - k.size() + 1, ' ') << v << "\n";
  }
}

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

std::string target_progress(const json& t) {
  auto done = integer(t, "bytes_done"), total = integer(t, "bytes_total");
  if (!done || !total || *total <= 0) return "-";
  return std::to_string(std::clamp<std::int64_t>(*done * 100 / *total, 0, 100)) + "%";
}

std::string target_error(const json& t) {
  const json* e = field(t, "error");
  if (!e || !e->is_object()) return "-";
  return text(*e, "code") + ": " + text(*e, "message");
}

void print_targets(const json& deployment, const std::string& indent) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : array_of(deployment, "targets")) {
    rows.push_back({text(t, "host"), text(t, "status"), text(t, "phase"), target_progress(t),
                    text(t, "installed_version"), target_error(t)});
  }
  print_table({"HOST", "STATUS", "PHASE", "PROGRESS", "INSTALLED", "ERROR"}, rows, indent);
}

void print_deployment(const json& d) {
  print_fields({{"deployment", text(d, "id")},
                {"release", text(d, "release_id")},
                {"package", text(d, "package") + " " + text(d, "version") + " (id " +
                                text(d, "package_id") + ")"},
                {"status", text(d, "status")},
                {"allow downgrade", text(d, "allow_downgrade")},
                {"created", time_text(d, "created_at") + " by " + text(d, "created_by")},
                {"expires", time_text(d, "expires_at")}});
  std::cout << "\n";
  print_targets(d, "");
}

std::vector<std::string> deployment_row(const json& d) {
  return {text(d, "id"),
          text(d, "release_id"),
          text(d, "package"),
          text(d, "version"),
          text(d, "status"),
          std::to_string(array_of(d, "targets").size()),
          time_text(d, "created_at")};
}

const std::vector<std::string> kDeploymentHeader{"ID",     "RELEASE", "PACKAGE", "VERSION",
                                                 "STATUS", "HOSTS",   "CREATED"};

// ---- password input ----

struct termios g_saved_termios;
volatile std::sig_atomic_t g_echo_off = 0;

void restore_echo_and_reraise(int sig) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

Result<std::string> read_line(std::istream& in, const std::string& source) {
  std::string line;
  if (!std::getline(in, line) && line.empty()) {
    return fail("cli.no_password", "no password given", source);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail("cli.no_password", "the password is empty", source);
  if (line.size() > kMaxPasswordBytes) {
    return fail("cli.password_too_long", "the password is longer than 1024 bytes", source);
  }
  return line;
}

// One line from stdin; with the echo off when stdin is a terminal.
Result<std::string> read_password_stdin(bool prompt) {
  if (!prompt || !::isatty(STDIN_FILENO)) return read_line(std::cin, "stdin");
  std::cerr << "Password: " << std::flush;
  if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return read_line(std::cin, "stdin");
  struct termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto old_int = std::signal(SIGINT, restore_echo_and_reraise);
  auto old_term = std::signal(SIGTERM, restore_echo_and_reraise);
  g_echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  auto line = read_line(std::cin, "stdin");
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_echo_off = 0;
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  return line;
}

// ---- the commands ----

struct LoginOptions {
  ConnectionOptions conn;
  std::string user;
  bool password_stdin = false;
  std::string password_file;
};

void run_login(const LoginOptions& o, CommandStatus& status) {
  auto settings = resolve_settings(o.conn, /*need_token=*/false);
  if (!settings && settings.error().code == "cli.not_logged_in") {
    return report_error(
        status,
        Error{"cli.missing_option", "give --url and --ca (or set RELMAN_URL and RELMAN_CA)", {}});
  }
  if (!settings) return report_error(status, settings.error());
  settings->token.clear();  // a login never sends an old token
  std::error_code ec;
  auto ca = fs::absolute(settings->ca, ec);
  if (ec) return report_error(status, Error{"cli.ca_missing", ec.message(), settings->ca});
  settings->ca = ca.lexically_normal().string();

  Result<std::string> password = fail("cli.no_password", "no password given");
  if (!o.password_file.empty()) {
    std::ifstream in(o.password_file, std::ios::binary);
    if (!in) {
      return report_error(status, Error{"cli.password_file_unreadable",
                                        "cannot read the password file", o.password_file});
    }
    password = read_line(in, o.password_file);
  } else {
    password = read_password_stdin(/*prompt=*/!o.password_stdin);
  }
  if (!password) return report_error(status, password.error());

  auto api = ApiClient::open(*settings);
  if (!api) return report_error(status, api.error());
  auto r =
      api->call("POST", "/api/v1/auth/login", json{{"username", o.user}, {"password", *password}});
  if (!r) return report_error(status, r.error());
  const json* token = field(*r, "token");
  auto expires = integer(*r, "expires_at");
  if (!token || !token->is_string() || token->get<std::string>().empty() || !expires) {
    return report_error(status, Error{"cli.bad_response",
                                      "the controller's login answer has no token", settings->url});
  }
  std::string username = o.user;
  if (const json* u = field(*r, "user")) {
    if (const json* name = field(*u, "username"); name && name->is_string()) {
      username = name->get<std::string>();
    }
  }
  Session s{settings->url, settings->ca, token->get<std::string>(), username, *expires};
  if (auto w = write_session(session_path(), s); !w) return report_error(status, w.error());
  std::cout << "logged in to " << settings->url << " as " << printable(username)
            << " (token expires at " << iso_time(*expires) << ")\n";
}

void run_logout(const ConnectionOptions& o, CommandStatus& status) {
  auto settings = resolve_settings(o, /*need_token=*/true);
  if (!settings) return report_error(status, settings.error());
  auto api = ApiClient::open(*settings);
  if (!api) return report_error(status, api.error());
  auto r = api->call("POST", "/api/v1/auth/logout");
  // A token the server no longer knows is already logged out.
  bool gone = !r && (r.error().code == "auth.invalid_token");
  if (!r && !gone) return report_error(status, r.error());
  if (settings->token_from_session) {
    std::error_code ec;
    fs::remove(session_path(), ec);
    if (ec) {
      return report_error(status, Error{"cli.session_write_failed",
                                        "cannot remove the session file: " + ec.message(),
                                        session_path().string()});
    }
  }
  std::cout << "logged out of " << settings->url << (gone ? " (the session had already ended)" : "")
            << "\n";
}

struct ListOptions {
  ConnectionOptions conn;
  bool json = false;
};

struct ShowOptions {
  ConnectionOptions conn;
  std::string id;
  bool json = false;
};

void run_package_upload(const ConnectionOptions& conn, const std::string& file, bool as_json,
                        CommandStatus& status) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return report_error(status, Error{"cli.file_not_found", "no such package file", file});
  }
  auto api = connect(conn);
  if (!api) return report_error(status, api.error());
  auto r = api->upload(file);
  if (!r) return report_error(status, r.error());
  if (as_json) return print_json(*r);
  std::cout << "uploaded " << text(*r, "name") << " " << text(*r, "version") << " as package "
            << text(*r, "id") << " (sha256 " << text(*r, "sha256") << ")\n";
}

void run_package_list(const ListOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/packages");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *items) {
    rows.push_back({text(p, "id"), text(p, "name"), text(p, "version"), text(p, "platform"),
                    size_text(p, "size"), text(p, "uploaded_by"), time_text(p, "uploaded_at")});
  }
  print_table({"ID", "NAME", "VERSION", "PLATFORM", "SIZE", "UPLOADED BY", "UPLOADED"}, rows);
}

void run_package_show(const ShowOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto p = api->call("GET", "/api/v1/packages/" + percent_encode(o.id));
  if (!p) return report_error(status, p.error());
  if (o.json) return print_json(*p);
  std::string signers;
  for (const auto& k : array_of(*p, "signer_key_ids")) {
    if (!signers.empty()) signers += ", ";
    signers += k.is_string() ? printable(k.get<std::string>()) : "?";
  }
  print_fields({{"package", text(*p, "id")},
                {"name", text(*p, "name")},
                {"version", text(*p, "version")},
                {"platform", text(*p, "platform")},
                {"payload", text(*p, "payload_kind")},
                {"description", text(*p, "description")},
                {"size", size_text(*p, "size") + " (" + text(*p, "file_count") + " files)"},
                {"sha256", text(*p, "sha256")},
                {"manifest sha256", text(*p, "manifest_sha256")},
                {"signed by", signers.empty() ? "-" : signers},
                {"status", text(*p, "status")},
                {"uploaded", time_text(*p, "uploaded_at") + " by " + text(*p, "uploaded_by")}});
}

struct ReleaseCreateOptions {
  ConnectionOptions conn;
  std::string title;
  std::string description;
  bool json = false;
};

void run_release_create(const ReleaseCreateOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"title", o.title}};
  if (!o.description.empty()) body["description"] = o.description;
  auto r = api->call("POST", "/api/v1/releases", body);
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  std::cout << "registered release " << text(*r, "number") << " (id " << text(*r, "id") << ")\n";
}

void run_release_list(const ListOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/releases");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *items) {
    rows.push_back({text(r, "id"), text(r, "number"), text(r, "state"), text(r, "created_by"),
                    time_text(r, "created_at"), text(r, "title")});
  }
  print_table({"ID", "NUMBER", "STATE", "CREATED BY", "CREATED", "TITLE"}, rows);
}

void run_release_show(const ShowOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto r = api->call("GET", "/api/v1/releases/" + percent_encode(o.id));
  if (!r) return report_error(status, r.error());
  if (o.json) return print_json(*r);
  print_fields({{"release", text(*r, "number") + " (id " + text(*r, "id") + ")"},
                {"title", text(*r, "title")},
                {"description", text(*r, "description")},
                {"state", text(*r, "state")},
                {"created", time_text(*r, "created_at") + " by " + text(*r, "created_by")},
                {"updated", time_text(*r, "updated_at")}});
  const auto& deployments = array_of(*r, "deployments");
  if (deployments.empty()) {
    std::cout << "\nno deployments\n";
    return;
  }
  for (const auto& d : deployments) {
    std::cout << "\ndeployment " << text(d, "id") << ": " << text(d, "package") << " "
              << text(d, "version") << ", " << text(d, "status") << " (created "
              << time_text(d, "created_at") << " by " << text(d, "created_by") << ")\n";
    print_targets(d, "  ");
  }
}

struct DeployOptions {
  ConnectionOptions conn;
  std::int64_t release_id = 0;
  std::int64_t package_id = 0;
  std::string package;
  std::string version;
  std::vector<std::string> hosts;
  std::int64_t expires_in = 0;
  bool allow_downgrade = false;
  std::int64_t wait = 0;
  bool json = false;
};

// Polls the deployment until it ends or `wait` passes; the exit code says which.
void wait_for_deployment(ApiClient& api, const DeployOptions& o, std::int64_t id,
                         CommandStatus& status) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(o.wait);
  const std::string target = "/api/v1/deployments/" + std::to_string(id);
  json last;
  std::map<std::string, std::string> seen;  // host -> last printed status
  while (true) {
    auto remaining = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
    auto d = api.call(
        "GET", target, std::nullopt,
        std::clamp(remaining + std::chrono::seconds(1), std::chrono::seconds(1), kRequestTimeout));
    if (!d) {
      // The network may come back before the wait ends; the API's own refusals are final.
      bool transport =
          d.error().code.starts_with("http.") && !d.error().code.starts_with("http.status_");
      if (!transport || Clock::now() + kPollInterval > deadline) {
        return report_error(status, d.error());
      }
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    last = std::move(*d);
    std::string state = text(last, "status");
    if (!o.json) {
      for (const auto& t : array_of(last, "targets")) {
        std::string host = text(t, "host"), now = text(t, "status");
        if (seen[host] != now && now != "pending" && now != "succeeded" && now != "failed") {
          std::cout << "  " << host << ": " << now << "\n" << std::flush;
        }
        seen[host] = now;
      }
    }
    if (state == "succeeded" || state == "failed") break;
    if (Clock::now() + kPollInterval > deadline) {
      if (o.json) {
        print_json(last);
      } else {
        print_targets(last, "  ");
      }
      report_error(
          status, Error{"deployment.still_running",
                        "deployment " + std::to_string(id) + " is still " + state + " after " +
                            std::to_string(o.wait) + " s; follow it with 'relman deployment show " +
                            std::to_string(id) + "'",
                        {}});
      status.exit_code = 3;
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string state = text(last, "status");
  if (o.json) {
    print_json(last);
  } else {
    std::cout << "deployment " << id << " " << state << "\n";
    print_targets(last, "  ");
  }
  if (state == "failed") {
    std::size_t failed = 0, total = array_of(last, "targets").size();
    for (const auto& t : array_of(last, "targets")) failed += text(t, "status") == "failed";
    report_error(status,
                 Error{"deployment.failed",
                       "deployment " + std::to_string(id) + " failed on " + std::to_string(failed) +
                           " of " + std::to_string(total) + " hosts",
                       {}});
  }
}

void run_deploy(const DeployOptions& o, CommandStatus& status) {
  if (o.package_id == 0 && (o.package.empty() || o.version.empty())) {
    return report_error(status, Error{"cli.package_required",
                                      "name the package with --package-id, or with --package "
                                      "and --version",
                                      {}});
  }
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  json body{{"hosts", o.hosts}};
  if (o.package_id > 0) {
    body["package_id"] = o.package_id;
  } else {
    body["package"] = o.package;
    body["version"] = o.version;
  }
  if (o.expires_in > 0) body["expires_in_seconds"] = o.expires_in;
  if (o.allow_downgrade) body["allow_downgrade"] = true;
  auto d =
      api->call("POST", "/api/v1/releases/" + std::to_string(o.release_id) + "/deployments", body);
  if (!d) return report_error(status, d.error());
  auto id = integer(*d, "id");
  if (!id) {
    return report_error(
        status, Error{"cli.bad_response", "the controller's answer has no deployment id", {}});
  }
  if (o.json && o.wait <= 0) return print_json(*d);
  if (!o.json) {
    std::cout << "deployment " << *id << " created: " << text(*d, "package") << " "
              << text(*d, "version") << " to " << array_of(*d, "targets").size() << " hosts\n";
    for (const auto& w : array_of(*d, "warnings")) {
      if (w.is_string()) std::cout << "warning: " << printable(w.get<std::string>()) << "\n";
    }
    std::cout << std::flush;
  }
  if (o.wait > 0) wait_for_deployment(*api, o, *id, status);
}

void run_deployment_show(const ShowOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto d = api->call("GET", "/api/v1/deployments/" + percent_encode(o.id));
  if (!d) return report_error(status, d.error());
  if (o.json) return print_json(*d);
  print_deployment(*d);
}

void run_deployment_list(const ListOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/deployments");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *items) rows.push_back(deployment_row(d));
  print_table(kDeploymentHeader, rows);
}

void run_hosts_list(const ListOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto items = api->list("/api/v1/hosts");
  if (!items) return report_error(status, items.error());
  if (o.json) return print_json(json{{"items", *items}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : *items) {
    rows.push_back({text(h, "agent_id"), text(h, "hostname"), text(h, "os"), text(h, "connected"),
                    time_text(h, "last_seen")});
  }
  print_table({"AGENT ID", "HOSTNAME", "OS", "CONNECTED", "LAST SEEN"}, rows);
}

void run_hosts_show(const ShowOptions& o, CommandStatus& status) {
  auto api = connect(o.conn);
  if (!api) return report_error(status, api.error());
  auto h = api->call("GET", "/api/v1/hosts/" + percent_encode(o.id));
  if (!h) return report_error(status, h.error());
  if (o.json) return print_json(*h);
  std::vector<std::pair<std::string, std::string>> fields{
      {"agent id", text(*h, "agent_id")},
      {"hostname", text(*h, "hostname")},
      {"os", text(*h, "os")},
      {"connected", text(*h, "connected")},
      {"first seen", time_text(*h, "first_seen")},
      {"last seen", time_text(*h, "last_seen")}};
  if (const json* inv = field(*h, "inventory"); inv && inv->is_object()) {
    for (const char* key :
         {"os_pretty", "kernel", "architecture", "cpu_model", "cpu_count", "memory_mb"}) {
      if (field(*inv, key)) fields.emplace_back(key, text(*inv, key));
    }
  }
  print_fields(fields);
}

void add_connection_options(CLI::App* cmd, ConnectionOptions& o) {
  cmd->add_option("--url", o.url,
                  "Controller URL, https://host:port (default: $RELMAN_URL, then the session)");
  cmd->add_option("--ca", o.ca,
                  "CA certificate (PEM) that issued the controller's certificate "
                  "(default: $RELMAN_CA, then the session)");
}

void add_list_and_show(CLI::App* group, const std::string& what, const std::string& id_help,
                       void (*list)(const ListOptions&, CommandStatus&),
                       void (*show)(const ShowOptions&, CommandStatus&), CommandStatus& status) {
  auto list_opts = std::make_shared<ListOptions>();
  auto* list_cmd = group->add_subcommand("list", "List " + what);
  add_connection_options(list_cmd, list_opts->conn);
  list_cmd->add_flag("--json", list_opts->json, "Print the API's JSON ({\"items\": [...]})");
  list_cmd->callback([list_opts, list, &status] { list(*list_opts, status); });

  auto show_opts = std::make_shared<ShowOptions>();
  auto* show_cmd = group->add_subcommand("show", "Show one of the " + what);
  add_connection_options(show_cmd, show_opts->conn);
  show_cmd->add_option("ID", show_opts->id, id_help)->required();
  show_cmd->add_flag("--json", show_opts->json, "Print the API's JSON");
  show_cmd->callback([show_opts, show, &status] { show(*show_opts, status); });
}

}  // namespace

void add_api_commands(CLI::App& app, CommandStatus& status) {
  // login / logout
  auto login_opts = std::make_shared<LoginOptions>();
  auto* login = app.add_subcommand(
      "login",
      "Log in to a controller and save the session (url, CA, token) in $RELMAN_SESSION or "
      "~/.config/relman/session.json (mode 0600)");
  add_connection_options(login, login_opts->conn);
  login->add_option("--user", login_opts->user, "User name")->required();
  auto* pw_stdin = login->add_flag(
      "--password-stdin", login_opts->password_stdin,
      "Read the password from the first line of stdin (without this and --password-file, "
      "it is asked for, unechoed on a terminal)");
  login
      ->add_option("--password-file", login_opts->password_file,
                   "Read the password from the first line of this file")
      ->excludes(pw_stdin);
  login->callback([login_opts, &status] { run_login(*login_opts, status); });

  auto logout_opts = std::make_shared<ConnectionOptions>();
  auto* logout =
      app.add_subcommand("logout", "End the session on the controller and remove the session file");
  add_connection_options(logout, *logout_opts);
  logout->callback([logout_opts, &status] { run_logout(*logout_opts, status); });

  // package
  auto* package = app.add_subcommand("package", "Packages in the controller's DML");
  package->require_subcommand(1);
  auto upload_conn = std::make_shared<ConnectionOptions>();
  auto upload_file = std::make_shared<std::string>();
  auto upload_json = std::make_shared<bool>(false);
  auto* upload = package->add_subcommand(
      "upload", "Upload a signed package file; the controller verifies it before accepting it");
  add_connection_options(upload, *upload_conn);
  upload->add_option("FILE", *upload_file, "Package file (.relpkg)")->required();
  upload->add_flag("--json", *upload_json, "Print the API's JSON");
  upload->callback([upload_conn, upload_file, upload_json, &status] {
    run_package_upload(*upload_conn, *upload_file, *upload_json, status);
  });
  add_list_and_show(package, "packages in the DML", "Package id (a number)", run_package_list,
                    run_package_show, status);

  // release
  auto* release = app.add_subcommand("release", "Releases (the unit of change)");
  release->require_subcommand(1);
  auto create_opts = std::make_shared<ReleaseCreateOptions>();
  auto* create = release->add_subcommand("create", "Register a new release");
  add_connection_options(create, create_opts->conn);
  create->add_option("--title", create_opts->title, "Title (up to 200 bytes)")->required();
  create->add_option("--description", create_opts->description, "Description");
  create->add_flag("--json", create_opts->json, "Print the API's JSON");
  create->callback([create_opts, &status] { run_release_create(*create_opts, status); });
  add_list_and_show(release, "releases (show includes their deployments and per-host status)",
                    "Release id (the number after 'id', not REL-…)", run_release_list,
                    run_release_show, status);

  // deploy
  auto deploy_opts = std::make_shared<DeployOptions>();
  auto* deploy = app.add_subcommand(
      "deploy",
      "Deploy a package of a release to hosts.\n"
      "With --wait, exits 0 if the deployment succeeded, 1 if it failed, 3 if it was still "
      "running when the wait ended");
  add_connection_options(deploy, deploy_opts->conn);
  deploy->add_option("--release", deploy_opts->release_id, "Release id (a number)")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* pkg_id = deploy
                     ->add_option("--package-id", deploy_opts->package_id,
                                  "Package id in the DML (or use --package and --version)")
                     ->check(CLI::PositiveNumber);
  auto* pkg_name = deploy->add_option("--package", deploy_opts->package, "Package name");
  auto* pkg_version = deploy->add_option("--version", deploy_opts->version, "Package version");
  pkg_id->excludes(pkg_name)->excludes(pkg_version);
  pkg_name->needs(pkg_version);
  pkg_version->needs(pkg_name);
  deploy->add_option("--host", deploy_opts->hosts, "Target agent id (repeat for more hosts)")
      ->required();
  deploy
      ->add_option("--expires-in", deploy_opts->expires_in,
                   "Seconds the agents may still start the order (60 to 2592000; default: "
                   "the controller's)")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{30 * 86400}));
  deploy->add_flag("--allow-downgrade", deploy_opts->allow_downgrade,
                   "Allow installing a version older than the one a host runs");
  deploy
      ->add_option("--wait", deploy_opts->wait,
                   "Wait up to this many seconds for the deployment to finish and print each "
                   "host's result")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{7 * 86400}));
  deploy->add_flag("--json", deploy_opts->json,
                   "Print the API's JSON for the deployment (with --wait: its final state)");
  deploy->callback([deploy_opts, &status] { run_deploy(*deploy_opts, status); });

  // deployment
  auto* deployment = app.add_subcommand("deployment", "Deployments and their per-host status");
  deployment->require_subcommand(1);
  add_list_and_show(deployment, "deployments", "Deployment id (a number)", run_deployment_list,
                    run_deployment_show, status);

  // hosts
  auto* hosts = app.add_subcommand("hosts", "Hosts (agents) known to the controller");
  hosts->require_subcommand(1);
  add_list_and_show(hosts, "hosts", "Agent id", run_hosts_list, run_hosts_show, status);
}

}  // namespace relman::cli
