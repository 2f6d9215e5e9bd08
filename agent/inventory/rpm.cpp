#include "agent/inventory/rpm.hpp"

#include <sqlite3.h>

#include <memory>
#include <system_error>

namespace relman::agent::inventory {
namespace {

// Header tags and types (rpm's lib/rpmtag.h).
constexpr std::uint32_t kTagName = 1000, kTagVersion = 1001, kTagRelease = 1002, kTagEpoch = 1003,
                        kTagSummary = 1004, kTagInstallTime = 1008, kTagSize = 1009,
                        kTagArch = 1022, kTagLongSize = 5009;
constexpr std::uint32_t kTypeInt32 = 4, kTypeInt64 = 5, kTypeString = 6, kTypeStringArray = 8,
                        kTypeI18nString = 9;
constexpr std::uint32_t kMaxIndexEntries = 0xffff;

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

struct Entry {
  std::uint32_t type = 0;
  std::uint32_t offset = 0;
  std::uint32_t count = 0;
};

class Header {
 public:
  static std::optional<Header> parse(std::string_view blob) {
    if (blob.size() < 8 || blob.size() > kMaxRpmHeaderBytes) return std::nullopt;
    auto* p = reinterpret_cast<const unsigned char*>(blob.data());
    std::uint32_t il = be32(p), dl = be32(p + 4);
    if (il == 0 || il > kMaxIndexEntries) return std::nullopt;
    std::uint64_t data_start = 8 + std::uint64_t{il} * 16;
    if (data_start + dl > blob.size()) return std::nullopt;
    Header h;
    h.data_ = blob.substr(data_start, dl);
    h.index_ = p + 8;
    h.il_ = il;
    return h;
  }

  std::optional<Entry> find(std::uint32_t tag) const {
    for (std::uint32_t i = 0; i < il_; ++i) {
      const unsigned char* e = index_ + std::size_t{i} * 16;
      if (be32(e) != tag) continue;
      Entry out{be32(e + 4), be32(e + 8), be32(e + 12)};
      if (out.offset >= data_.size() || out.count == 0) return std::nullopt;
      return out;
    }
    return std::nullopt;
  }

  // A string tag (or the first string of an array / i18n table), NUL-terminated inside the
  // data and at most kMaxRpmStringBytes long.
  std::string string(std::uint32_t tag) const {
    auto e = find(tag);
    if (!e ||
        (e->type != kTypeString && e->type != kTypeStringArray && e->type != kTypeI18nString)) {
      return "";
    }
    auto rest = data_.substr(e->offset);
    auto end = rest.find('\0');
    if (end == std::string_view::npos || end > kMaxRpmStringBytes) return "";
    return std::string(rest.substr(0, end));
  }

  // An integer tag's first value; nullopt when absent or out of the data.
  std::optional<std::int64_t> integer(std::uint32_t tag) const {
    auto e = find(tag);
    if (!e) return std::nullopt;
    std::size_t width = e->type == kTypeInt32 ? 4 : e->type == kTypeInt64 ? 8 : 0;
    if (width == 0 || e->offset % width != 0 || e->offset + width > data_.size()) {
      return std::nullopt;
    }
    auto* p = reinterpret_cast<const unsigned char*>(data_.data()) + e->offset;
    if (width == 4) return static_cast<std::int64_t>(be32(p));
    std::uint64_t v = (std::uint64_t{be32(p)} << 32) | be32(p + 4);
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }

 private:
  std::string_view data_;
  const unsigned char* index_ = nullptr;
  std::uint32_t il_ = 0;
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};

// A file path as an SQLite URI path ('%', '?' and '#' would otherwise end or escape it).
std::string uri_path(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string sqlite_message(sqlite3* db, const char* what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

nlohmann::json RpmPackage::to_json() const {
  return {{"name", name},
          {"epoch", epoch},
          {"version", version},
          {"release", release},
          {"architecture", architecture},
          {"summary", summary},
          {"installed_size", installed_size},
          {"install_time", install_time}};
}

nlohmann::json RpmInfo::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& p : packages) list.push_back(p.to_json());
  nlohmann::json j{{"packages", list}, {"truncated", truncated}, {"skipped", skipped}};
  if (!error.empty()) j["error"] = error;
  return j;
}

std::optional<RpmPackage> parse_rpm_header(std::string_view blob) {
  auto h = Header::parse(blob);
  if (!h) return std::nullopt;
  RpmPackage p;
  p.name = h->string(kTagName);
  if (p.name.empty()) return std::nullopt;
  p.version = h->string(kTagVersion);
  p.release = h->string(kTagRelease);
  p.architecture = h->string(kTagArch);
  p.summary = h->string(kTagSummary);
  p.epoch = h->integer(kTagEpoch).value_or(-1);
  p.install_time = h->integer(kTagInstallTime).value_or(0);
  p.installed_size = h->integer(kTagLongSize).value_or(h->integer(kTagSize).value_or(0));
  return p;
}

RpmInfo collect_rpm(const std::filesystem::path& root) {
  RpmInfo out;
  std::filesystem::path file;
  for (const char* candidate : {"var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(root / candidate, ec)) {
      file = root / candidate;
      break;
    }
  }
  if (file.empty()) return out;
  out.present = true;

  // Read-only; when the WAL index cannot be created (a read-only directory), read the main
  // file as immutable (recent, uncheckpointed installs may be missing then).
  std::unique_ptr<sqlite3, DbCloser> db;
  for (const char* mode : {"?mode=ro", "?mode=ro&immutable=1"}) {
    sqlite3* raw = nullptr;
    std::string uri = "file:" + uri_path(file.string()) + mode;
    int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      out.error = sqlite_message(raw, "cannot open the rpm database");
      continue;
    }
    sqlite3_busy_timeout(raw, 2000);
    sqlite3_stmt* st_raw = nullptr;
    rc = sqlite3_prepare_v2(raw, "SELECT blob FROM Packages ORDER BY hnum", -1, &st_raw, nullptr);
    std::unique_ptr<sqlite3_stmt, StmtCloser> st(st_raw);
    if (rc != SQLITE_OK) {
      out.error = sqlite_message(raw, "not an rpm database");
      continue;
    }
    out.error.clear();
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      if (out.packages.size() >= kMaxRpmPackages) {
        out.truncated = true;
        break;
      }
      const void* data = sqlite3_column_blob(st.get(), 0);
      int size = sqlite3_column_bytes(st.get(), 0);
      auto p =
          data ? parse_rpm_header({static_cast<const char*>(data), static_cast<std::size_t>(size)})
               : std::nullopt;
      if (p) {
        out.packages.push_back(std::move(*p));
      } else {
        ++out.skipped;
      }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      out.error = sqlite_message(raw, "reading the rpm database failed");
    }
    break;
  }
  return out;
}

}  // namespace relman::agent::inventory
