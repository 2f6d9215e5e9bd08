#include "packaging/manifest.hpp"

#include <string_view>

#include "packaging/link_guard.hpp"
#include "packaging/sha256.hpp"
#include "protocol/canonical_json.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::packaging {
namespace {

constexpr std::size_t kMaxPathLength = 4096;
constexpr std::size_t kMaxDescriptionLength = 4096;
constexpr std::size_t kMaxHookLength = 4096;
constexpr std::size_t kMaxPlatformLength = 64;

bool is_valid_platform(std::string_view p) {
  if (p.empty() || p.size() > kMaxPlatformLength) return false;
  for (char c : p) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    if (!okc) return false;
  }
  return true;
}

}  // namespace

bool is_valid_package_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!(lower_digit(c) || c == '.' || c == '_' || c == '+' || c == '-')) return false;
  }
  return true;
}

bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxPathLength) return false;
  if (path.find('\0') != std::string_view::npos || path.front() == '/') return false;
  for (std::size_t start = 0;;) {
    std::size_t slash = path.find('/', start);
    auto c = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (c.empty() || c == "." || c == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

Result<Manifest> manifest_from_json(const nlohmann::json& j) {
  protocol::JsonReader r(j, "manifest");
  Manifest m;
  m.schema = static_cast<int>(r.integer("schema", kManifestSchema, kManifestSchema));
  m.name = r.string("name", 64);
  if (r.ok() && !is_valid_package_name(m.name)) {
    r.reject("name", "manifest.invalid",
             "name must be 1-64 of [a-z0-9._+-], starting with a letter or digit");
  }
  m.version = r.string("version", protocol::kMaxIdLength);
  if (r.ok()) {
    if (auto v = parse_version(m.version); !v) {
      r.reject("version", "manifest.invalid", v.error().message);
    }
  }
  m.platform = r.string("platform", kMaxPlatformLength);
  if (r.ok() && !is_valid_platform(m.platform)) {
    r.reject("platform", "manifest.invalid", "platform must be [A-Za-z0-9._-], e.g. linux-x86_64");
  }
  m.payload_kind = r.string("payload_kind", 32);
  if (r.ok() && m.payload_kind != "archive" && m.payload_kind != "deb") {
    r.reject("payload_kind", "manifest.invalid", "payload_kind must be \"archive\" or \"deb\"");
  }
  m.description = r.string("description", kMaxDescriptionLength, /*allow_empty=*/true);

  if (const auto* hooks = r.object("hooks"); hooks && r.ok()) {
    protocol::JsonReader hr(*hooks, "manifest.hooks");
    m.hooks.pre_install = hr.string("pre_install", kMaxHookLength, true);
    m.hooks.post_install = hr.string("post_install", kMaxHookLength, true);
    m.hooks.health_check = hr.string("health_check", kMaxHookLength, true);
    m.hooks.timeout_seconds = hr.integer("timeout_seconds", 1, 3600);
    if (auto res = hr.finish_strict(); !res) return fail(res.error());
  }

  if (const auto* files = r.array("files", protocol::kMaxManifestFiles); files && r.ok()) {
    for (std::size_t i = 0; i < files->size(); ++i) {
      protocol::JsonReader fr((*files)[i], "manifest.files[" + std::to_string(i) + "]");
      ManifestFile f;
      f.path = fr.string("path", kMaxPathLength);
      if (fr.ok() && !is_safe_relative_path(f.path)) {
        fr.reject("path", "manifest.invalid",
                  "path must be relative, without '.', '..' or empty components");
      }
      auto size = fr.integer("size", 0, INT64_MAX);
      f.size = static_cast<std::uint64_t>(size);
      f.sha256 = fr.string("sha256", 64);
      if (fr.ok() && !is_sha256_hex(f.sha256)) {
        fr.reject("sha256", "manifest.invalid", "sha256 must be 64 lowercase hex digits");
      }
      f.mode = static_cast<std::uint32_t>(fr.integer("mode", 0, 0777));
      if (auto res = fr.finish_strict(); !res) return fail(res.error());
      if (!m.files.empty() && m.files.back().path >= f.path) {
        return fail("manifest.invalid",
                    m.files.back().path == f.path ? "file path appears more than once"
                                                  : "files must be sorted by path",
                    "manifest.files[" + std::to_string(i) + "].path");
      }
      m.files.push_back(std::move(f));
    }
  }

  if (const auto* links = r.array("links", protocol::kMaxManifestFiles); links && r.ok()) {
    for (std::size_t i = 0; i < links->size(); ++i) {
      protocol::JsonReader lr((*links)[i], "manifest.links[" + std::to_string(i) + "]");
      ManifestLink l;
      l.path = lr.string("path", kMaxPathLength);
      if (lr.ok() && !is_safe_relative_path(l.path)) {
        lr.reject("path", "manifest.invalid",
                  "path must be relative, without '.', '..' or empty components");
      }
      l.target = lr.string("target", kMaxPathLength);
      if (auto res = lr.finish_strict(); !res) return fail(res.error());
      if (!m.links.empty() && m.links.back().path >= l.path) {
        return fail("manifest.invalid",
                    m.links.back().path == l.path ? "link path appears more than once"
                                                  : "links must be sorted by path",
                    "manifest.links[" + std::to_string(i) + "].path");
      }
      m.links.push_back(std::move(l));
    }
  }
  if (auto res = r.finish_strict(); !res) return fail(res.error());
  if (m.payload_kind == "deb" &&
      (m.files.size() != 1 || !m.links.empty() || !m.files[0].path.ends_with(".deb"))) {
    return fail("manifest.invalid",
                "a \"deb\" package holds exactly one file, the .deb, and no links",
                "manifest.files");
  }

  // Files and links together form one tree: no path twice, nothing under a file or a link,
  // and no link leaving the root (directly or through another link).
  LinkGuard guard;
  for (const auto& f : m.files) {
    if (auto g = guard.add_entry(f.path, false); !g) {
      return fail("manifest.invalid", g.error().message, "manifest.files: " + f.path);
    }
  }
  for (const auto& l : m.links) {
    if (auto g = guard.add_link(l.path, l.target); !g) {
      return fail("manifest.invalid", g.error().message, "manifest.links: " + l.path);
    }
  }
  return m;
}

nlohmann::json to_json(const Manifest& m) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"mode", f.mode}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& l : m.links) links.push_back({{"path", l.path}, {"target", l.target}});
  return {{"schema", m.schema},
          {"name", m.name},
          {"version", m.version},
          {"platform", m.platform},
          {"payload_kind", m.payload_kind},
          {"description", m.description},
          {"files", std::move(files)},
          {"links", std::move(links)},
          {"hooks",
           {{"pre_install", m.hooks.pre_install},
            {"post_install", m.hooks.post_install},
            {"health_check", m.hooks.health_check},
            {"timeout_seconds", m.hooks.timeout_seconds}}}};
}

std::string canonical_manifest(const Manifest& m) {
  // A manifest holds no floats; only invalid UTF-8 can fail, and then nothing is signable.
  return protocol::canonical_json(to_json(m)).value_or(std::string());
}

std::string manifest_sha256(const Manifest& m) { return sha256_hex(canonical_manifest(m)); }

}  // namespace relman::packaging
