#include "controller/events/webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>

#include "controller/releases/principal.hpp"
#include "protocol/json_reader.hpp"

namespace relman::controller {
namespace {

constexpr std::size_t kMaxSecretBytes = 4096;
constexpr std::size_t kMinSecretBytes = 16;

bool valid_name(const std::string& n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// "https://host[:port][/path]" into the config's host, port and target.
Result<void> split_url(WebhookConfig& w, const std::string& key) {
  constexpr std::string_view kScheme = "https://";
  std::string_view rest = w.url;
  if (!rest.starts_with(kScheme)) {
    return fail("config.invalid", "a webhook URL must start with https://", key);
  }
  rest.remove_prefix(kScheme.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  w.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return fail("config.invalid", "credentials in a webhook URL are not allowed; use the secret",
                key);
  }
  std::string_view host = authority;
  if (authority.starts_with("[")) {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("config.invalid", "unclosed [ in URL", key);
    host = authority.substr(0, close + 1);
    authority.remove_prefix(close + 1);
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  if (!authority.empty()) {
    if (!authority.starts_with(":")) return fail("config.invalid", "malformed host:port", key);
    authority.remove_prefix(1);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(authority.data(), authority.data() + authority.size(), port);
    if (ec != std::errc() || p != authority.data() + authority.size() || port == 0 ||
        port > 65535) {
      return fail("config.invalid", "the port must be 1..65535", key);
    }
    w.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty() || host == "[]") return fail("config.invalid", "the URL has no host", key);
  w.host = std::string(host);
  if (w.target.find_first_of(" \r\n") != std::string::npos) {
    return fail("config.invalid", "the URL path contains spaces or line breaks", key);
  }
  return ok();
}

// "users"/"groups": arrays of 1..64-character names of [A-Za-z0-9._-] (how users and groups
// are named), at most 100, each key naming its index when wrong.
Result<std::set<std::string>> name_set(const nlohmann::json& object, const std::string& key,
                                       const std::string& where) {
  std::set<std::string> out;
  auto it = object.find(key);
  if (it == object.end()) return out;
  const std::string at = where + "." + key;
  if (!it->is_array() || it->empty() || it->size() > 100) {
    return fail("config.invalid", "a list of 1 to 100 names", at);
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string() || !valid_account_name(v.get_ref<const std::string&>())) {
      return fail("config.invalid", "a name is 1-64 of letters, digits, '.', '_' and '-'",
                  at + "[" + std::to_string(i) + "]");
    }
    out.insert(v.get<std::string>());
  }
  return out;
}

Result<std::string> read_secret(const std::filesystem::path& file, const std::string& key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("config.invalid", "cannot read the webhook secret file", key);
  std::string secret(kMaxSecretBytes + 1, '\0');
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  secret.resize(static_cast<std::size_t>(in.gcount()));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() > kMaxSecretBytes) {
    return fail("config.invalid", "the webhook secret is larger than 4 KiB", key);
  }
  if (secret.size() < kMinSecretBytes) {
    return fail("config.invalid", "the webhook secret must be at least 16 bytes", key);
  }
  return secret;
}

}  // namespace

Result<std::vector<WebhookConfig>> parse_webhook_configs(
    const nlohmann::json& array,
    const std::function<std::filesystem::path(const std::string&)>& resolve) {
  std::vector<WebhookConfig> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string where = "webhooks[" + std::to_string(i) + "]";
    if (!array[i].is_object()) return fail("config.invalid", "a webhook is an object", where);
    protocol::JsonReader r(array[i], where);
    WebhookConfig w;
    w.name = r.string("name", 64);
    w.url = r.string("url", 2048);
    auto secret_file = r.string("secret_file", 4096);
    if (auto v = r.optional_string("types", 1024)) w.types = *v;
    if (auto v = r.optional_string("ca_file", 4096)) w.ca_file = resolve(*v);
    r.allow("users");
    r.allow("groups");
    if (auto v = r.optional_integer("max_attempts", 1, 100)) w.max_attempts = static_cast<int>(*v);
    if (auto v = r.optional_integer("timeout_seconds", 1, 120))
      w.timeout = std::chrono::seconds(*v);
    RELMAN_CHECK(r.finish_strict());
    if (!valid_name(w.name)) {
      return fail("config.invalid", "a webhook name is 1-64 of a-z, 0-9, _ and -", where + ".name");
    }
    if (!names.insert(w.name).second) {
      return fail("config.invalid", "two webhooks have the same name", where + ".name");
    }
    RELMAN_CHECK(split_url(w, where + ".url"));
    RELMAN_TRY(users, name_set(array[i], "users", where));
    RELMAN_TRY(groups, name_set(array[i], "groups", where));
    w.users = std::move(users);
    w.groups = std::move(groups);
    if (auto f = EventFilter::parse(w.types); !f) {
      return fail("config.invalid", f.error().message, where + ".types");
    }
    RELMAN_TRY(secret, read_secret(resolve(secret_file), where + ".secret_file"));
    w.secret = std::move(secret);
    out.push_back(std::move(w));
  }
  return out;
}

std::string webhook_signature(const std::string& secret, std::int64_t timestamp,
                              const std::string& body) {
  const std::string signed_text = std::to_string(timestamp) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0xf]);
  }
  return "t=" + std::to_string(timestamp) + ",v1=" + hex;
}

std::chrono::milliseconds webhook_backoff(int attempt) {
  const int shift = std::clamp(attempt - 1, 0, 9);
  return std::min(std::chrono::milliseconds(1000LL << shift), std::chrono::milliseconds(300000));
}

}  // namespace relman::controller
