#include "agent/installer/installer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <string_view>
#include <system_error>
#include <vector>

#include "agent/installer/hook_command.hpp"
#include "agent/installer/order_check.hpp"
#include "packaging/package.hpp"
#include "packaging/sha256.hpp"
#include "protocol/clock.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::agent {
namespace fs = std::filesystem;
using protocol::DeployOrder;
using protocol::DeployResult;

namespace {

// SHA-256 of a download while it streams, across a resume: the bytes already on disk first,
// then each chunk at its offset. A restart (offset 0 again) starts over; a gap makes it
// give up, and the caller hashes the file instead.
class StreamHash {
 public:
  Result<void> add_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail("package.read_failed", "cannot read the partial download", file);
    std::vector<char> block(1 << 20);
    while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
      add(hashed_, std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
    }
    return ok();
  }
  void add(std::uint64_t offset, std::string_view bytes) {
    if (offset == 0 && hashed_ != 0) {
      hash_ = packaging::Sha256();
      hashed_ = 0;
      broken_ = false;
    }
    if (broken_ || offset != hashed_) {
      broken_ = true;
      return;
    }
    hash_.update(bytes);
    hashed_ += bytes.size();
  }
  bool covers(std::uint64_t size) const { return !broken_ && hashed_ == size; }
  std::string digest() { return hash_.hex_digest(); }

 private:
  packaging::Sha256 hash_;
  std::uint64_t hashed_ = 0;
  bool broken_ = false;
};

constexpr int kStateSchema = 1;
constexpr std::size_t kMaxResultMessageBytes = 4096;
constexpr auto kProgressInterval = std::chrono::milliseconds(100);  // <= ~10 reports/s
constexpr const char* kHookPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string s;
  for (int i = 0; i < 16; ++i, v >>= 4) s += kHex[v & 0xf];
  return s;
}

// Hook output is arbitrary bytes; results travel as JSON, which needs valid UTF-8.
std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    bool valid = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(in[i + k]) & 0xc0) == 0x80;
    }
    if (valid && len == 2 && c < 0xc2) valid = false;  // overlong
    if (valid && len == 3) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0))
        valid = false;  // overlong, surrogate
    }
    if (valid && len == 4) {
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) valid = false;
    }
    if (valid) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// Cuts to at most max bytes without splitting a UTF-8 sequence; keeps the end when from_end.
std::string clip_utf8(std::string s, std::size_t max, bool from_end = false) {
  if (s.size() <= max) return s;
  auto is_cont = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; };
  if (from_end) {
    std::size_t start = s.size() - max;
    while (start < s.size() && is_cont(s[start])) ++start;
    return s.substr(start);
  }
  std::size_t end = max;
  while (end > 0 && is_cont(s[end])) --end;
  return s.substr(0, end);
}

DeployResult make_result(const DeployOrder& order, std::string status, std::string code,
                         std::string message, std::string installed_version) {
  DeployResult r;
  r.order_id = order.order_id;
  r.deployment_id = order.deployment_id;
  r.status = std::move(status);
  r.code = std::move(code);
  r.message = clip_utf8(sanitize_utf8(message), kMaxResultMessageBytes);
  r.installed_version = std::move(installed_version);
  return r;
}

DeployResult failed(const DeployOrder& order, const Error& e, std::string installed_version) {
  std::string message = e.message;
  if (!e.context.empty()) message += " (" + e.context + ")";
  return make_result(order, "failed", e.code, std::move(message), std::move(installed_version));
}

void emit(const ProgressSink& sink, const DeployOrder& order, std::string_view phase,
          std::uint64_t done, std::uint64_t total) {
  if (!sink) return;
  protocol::DeployProgress p;
  p.order_id = order.order_id;
  p.deployment_id = order.deployment_id;
  p.phase = std::string(phase);
  p.bytes_done = static_cast<std::int64_t>(done);
  p.bytes_total = static_cast<std::int64_t>(total);
  // A failing sink (a dropped connection) must not abort an install half-way.
  try {
    sink(p);
  } catch (...) {
  }
}

Result<void> fsync_path(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return fail("io.sync_failed", std::strerror(errno), path.string());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail("io.sync_failed", std::strerror(err), path.string());
  return ok();
}

Result<void> sync_filesystem(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("io.sync_failed", std::strerror(errno), dir.string());
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail("io.sync_failed", std::strerror(err), dir.string());
  return ok();
}

Result<void> write_file_atomic(const fs::path& file, std::string_view content) {
  fs::path tmp = file;
  tmp += ".tmp-" + random_suffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("state.write_failed", std::strerror(errno), tmp.string());
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  bool good = off == content.size() && ::fsync(fd) == 0;
  int err = errno;
  good = (::close(fd) == 0) && good;
  if (!good || ::rename(tmp.c_str(), file.c_str()) != 0) {
    if (good) err = errno;
    ::unlink(tmp.c_str());
    return fail("state.write_failed", std::strerror(err), file.string());
  }
  return fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
}

Result<std::string> read_file_bounded(const fs::path& file, std::size_t max) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("state.read_failed", std::strerror(errno), file.string());
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return fail("state.read_failed", std::strerror(err), file.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max) {
      ::close(fd);
      return fail("state.invalid", "state file is larger than " + std::to_string(max) + " bytes",
                  file.string());
    }
  }
  ::close(fd);
  return out;
}

// ---- <root>/<name>/current ----

// What current points to ("" when absent); install.current_invalid when it is not our symlink.
Result<std::string> read_current(const fs::path& name_dir) {
  fs::path current = name_dir / "current";
  std::error_code ec;
  auto st = fs::symlink_status(current, ec);
  if (ec || st.type() == fs::file_type::not_found) return std::string();
  if (st.type() != fs::file_type::symlink) {
    return fail("install.current_invalid", "is not a symlink; relman manages this path",
                current.string());
  }
  fs::path target = fs::read_symlink(current, ec);
  if (ec) return fail("install.current_invalid", ec.message(), current.string());
  return target.filename().string();
}

// Points current at `version` (relative) with one rename, or removes it when version is "".
Result<void> switch_current(const fs::path& name_dir, const std::string& version) {
  fs::path current = name_dir / "current";
  std::error_code ec;
  if (version.empty()) {
    fs::remove(current, ec);
    if (ec) return fail("install.switch_failed", ec.message(), current.string());
  } else {
    fs::path tmp = name_dir / (".current-" + random_suffix());
    fs::create_symlink(version, tmp, ec);
    if (ec) return fail("install.switch_failed", ec.message(), tmp.string());
    fs::rename(tmp, current, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return fail("install.switch_failed", ec.message(), current.string());
    }
  }
  return fsync_path(name_dir, O_RDONLY | O_DIRECTORY);
}

// ---- state.json ----

nlohmann::json result_to_json(const DeployResult& r) {
  return {{"order_id", r.order_id}, {"deployment_id", r.deployment_id},
          {"status", r.status},     {"code", r.code},
          {"message", r.message},   {"installed_version", r.installed_version}};
}

Result<DeployResult> result_from_json(const nlohmann::json& j, const std::string& where) {
  protocol::JsonReader r(j, where);
  DeployResult out;
  out.order_id = r.string("order_id");
  out.deployment_id = r.integer("deployment_id", 0, INT64_MAX);
  out.status = r.string("status");
  out.code = r.string("code", protocol::kMaxIdLength, true);
  out.message = r.string("message", protocol::kMaxTextLength, true);
  out.installed_version = r.string("installed_version", protocol::kMaxIdLength, true);
  if (auto done = r.finish_tolerant(); !done) return fail(done.error());
  return out;
}

}  // namespace

// One order in flight, from fetch to result.
struct Installer::Attempt {
  const DeployOrder& order;
  const ProgressSink& progress;
  fs::path package_file;
  std::string installed_before;  // recorded installed version, "" if none
};

Installer::Installer(InstallerConfig config, Fetcher fetcher)
    : config_(std::move(config)), fetcher_(std::move(fetcher)) {}

std::int64_t Installer::now() const {
  if (config_.clock) return config_.clock();
  return unix_seconds();
}

Result<void> Installer::open() {
  std::error_code ec;
  fs::create_directories(config_.state_dir / "downloads", ec);
  if (ec) return fail("state.write_failed", ec.message(), config_.state_dir.string());
  fs::path file = config_.state_dir / "state.json";
  State loaded;
  bool exists = fs::exists(file, ec);
  if (ec) return fail("state.read_failed", ec.message(), file.string());
  if (exists) {
    auto text = read_file_bounded(file, kMaxStateFileBytes);
    if (!text) return fail(text.error());
    auto invalid = [&](const Error& e) {
      return fail("state.invalid", "state file is corrupt: " + e.message + " (" + e.context + ")",
                  file.string());
    };
    auto doc = protocol::parse_json_object(*text, kMaxStateFileBytes, "state.json");
    if (!doc) return invalid(doc.error());
    protocol::JsonReader r(*doc);
    r.integer("schema", kStateSchema, kStateSchema);
    const auto* installed = r.object("installed");
    const auto* results = r.array("results", kMaxRecordedResults);
    const auto* journal = r.optional_object("journal");
    if (auto done = r.finish_tolerant(); !done) return invalid(done.error());
    for (const auto& [name, version] : installed->items()) {
      if (!version.is_string()) {
        return invalid(Error{"protocol.wrong_type", "must be a string", "installed." + name});
      }
      loaded.installed[name] = version.get<std::string>();
    }
    for (std::size_t i = 0; i < results->size(); ++i) {
      auto one = result_from_json((*results)[i], "results[" + std::to_string(i) + "]");
      if (!one) return invalid(one.error());
      loaded.results.push_back(std::move(*one));
    }
    if (journal) {
      protocol::JsonReader jr(*journal, "journal");
      Journal j;
      j.order_id = jr.string("order_id");
      j.deployment_id = jr.integer("deployment_id", 0, INT64_MAX);
      j.package = jr.string("package");
      j.version = jr.string("version");
      j.previous = jr.string("previous", protocol::kMaxIdLength, true);
      j.aside = jr.string("aside", 4096, true);
      if (auto done = jr.finish_tolerant(); !done) return invalid(done.error());
      // These become path components in recover().
      auto component = [](const std::string& c) {
        return !c.empty() && c != "." && c != ".." && c.find('/') == std::string::npos &&
               c.find('\0') == std::string::npos;
      };
      if (!component(j.package) || !component(j.version) ||
          (!j.previous.empty() && !component(j.previous))) {
        return invalid(
            Error{"state.invalid", "names a package or version that is not valid", "journal"});
      }
      loaded.journal = std::move(j);
    }
  }
  {
    std::lock_guard lock(mutex_);
    state_ = std::move(loaded);
  }
  if (state_.journal) return recover(*state_.journal);
  return ok();
}

// An install was cut short between extraction and its result: put back what was there.
Result<void> Installer::recover(const Journal& j) {
  fs::path name_dir = config_.install_root / j.package;
  fs::path version_dir = name_dir / j.version;
  std::error_code ec;
  if (!j.aside.empty() && fs::exists(j.aside, ec)) {
    fs::remove_all(version_dir, ec);
    fs::rename(j.aside, version_dir, ec);
    if (ec) return fail("install.recovery_failed", ec.message(), j.aside);
  } else if (j.version != j.previous) {
    fs::remove_all(version_dir, ec);
  }
  if (auto s = switch_current(name_dir, j.previous); !s) return fail(s.error());
  for (const auto& entry : fs::directory_iterator(name_dir, ec)) {
    if (entry.path().filename().string().starts_with(".staging-")) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
  DeployOrder order;
  order.order_id = j.order_id;
  order.deployment_id = j.deployment_id;
  auto result = make_result(order, "failed", "install.interrupted",
                            "the agent stopped during the install of " + j.package + " " +
                                j.version + "; the host was put back on " +
                                (j.previous.empty() ? "no version" : j.previous),
                            j.previous);
  return update_state([&](State& s) {
    s.journal.reset();
    s.results.push_back(result);
  });
}

Result<void> Installer::save_locked() const {
  nlohmann::json installed = nlohmann::json::object();
  for (const auto& [name, version] : state_.installed) installed[name] = version;
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : state_.results) results.push_back(result_to_json(r));
  nlohmann::json doc = {{"schema", kStateSchema}, {"installed", installed}, {"results", results}};
  if (state_.journal) {
    const Journal& j = *state_.journal;
    doc["journal"] = {{"order_id", j.order_id}, {"deployment_id", j.deployment_id},
                      {"package", j.package},   {"version", j.version},
                      {"previous", j.previous}, {"aside", j.aside}};
  }
  return write_file_atomic(config_.state_dir / "state.json",
                           doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<void> Installer::update_state(const std::function<void(State&)>& change) {
  std::lock_guard lock(mutex_);
  State before = state_;
  change(state_);
  while (state_.results.size() > kMaxRecordedResults) state_.results.pop_front();
  auto saved = save_locked();
  if (!saved) state_ = std::move(before);
  return saved;
}

std::optional<std::string> Installer::installed_version(const std::string& package) const {
  std::lock_guard lock(mutex_);
  auto it = state_.installed.find(package);
  if (it == state_.installed.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> Installer::installed_packages() const {
  std::lock_guard lock(mutex_);
  return state_.installed;
}

bool Installer::already_executed(const std::string& order_id) const {
  return recorded_result(order_id).has_value();
}

std::optional<DeployResult> Installer::recorded_result(const std::string& order_id) const {
  std::lock_guard lock(mutex_);
  for (auto it = state_.results.rbegin(); it != state_.results.rend(); ++it) {
    if (it->order_id == order_id) return *it;
  }
  return std::nullopt;
}

DeployResult Installer::run(const protocol::DeployOrderMessage& msg, const ProgressSink& progress) {
  try {
    std::lock_guard run_lock(run_mutex_);
    if (auto recorded = recorded_result(msg.order.order_id)) return *recorded;
    return run_checked(msg, progress);
  } catch (const std::exception& e) {
    return make_result(msg.order, "failed", "agent.internal_error",
                       std::string("unexpected error while running the order: ") + e.what(),
                       installed_version(msg.order.package_name).value_or(""));
  } catch (...) {
    return make_result(msg.order, "failed", "agent.internal_error",
                       "unexpected error while running the order", "");
  }
}

DeployResult Installer::run_checked(const protocol::DeployOrderMessage& msg,
                                    const ProgressSink& progress) {
  const DeployOrder& order = msg.order;
  auto installed = installed_version(order.package_name);
  std::string before = installed.value_or("");
  if (auto checked = check_order(msg, config_.trust, config_.agent_id, now(), installed);
      !checked) {
    return failed(order, checked.error(), before);
  }
  emit(progress, order, "queued", 0, static_cast<std::uint64_t>(order.package_size));

  // Fetch. Until the bytes are verified against the order nothing has changed on the host and
  // nothing is recorded, so a re-sent order retries (and a partial download resumes).
  fs::path downloads = config_.state_dir / "downloads";
  fs::path part = downloads / (order.package_sha256 + ".part");
  std::error_code ec;
  fs::create_directories(downloads, ec);
  if (ec)
    return failed(order, Error{"state.write_failed", ec.message(), downloads.string()}, before);
  auto last = std::chrono::steady_clock::time_point{};
  bool first = true;
  auto on_bytes = [&](std::uint64_t done, std::uint64_t total) {
    auto t = std::chrono::steady_clock::now();
    if (!first && done != total && t - last < kProgressInterval) return;
    first = false;
    last = t;
    emit(progress, order, "downloading", done, total);
  };
  if (!fetcher_) {
    return failed(order, Error{"agent.no_fetcher", "the installer has no package source", ""},
                  before);
  }
  // Hash while the bytes stream: first what an interrupted download left, then each chunk.
  StreamHash streamed;
  if (fs::exists(part, ec)) {
    if (auto r = streamed.add_file(part); !r) return failed(order, r.error(), before);
  }
  auto fetched = fetcher_(order, part, on_bytes, [&](std::uint64_t offset, std::string_view b) {
    streamed.add(offset, b);
  });
  if (!fetched) return failed(order, fetched.error(), before);

  auto size = fs::file_size(part, ec);
  if (ec) return failed(order, Error{"package.read_failed", ec.message(), part.string()}, before);
  if (size > static_cast<std::uint64_t>(order.package_size)) {
    fs::remove(part, ec);
    return failed(order,
                  Error{"package.too_large",
                        "the downloaded package has " + std::to_string(size) +
                            " bytes, more than the order's " + std::to_string(order.package_size),
                        order.download_path},
                  before);
  }
  // The streamed hash covers the file unless a fetcher skipped bytes; then read it once more.
  auto hash =
      streamed.covers(size) ? Result<std::string>(streamed.digest()) : packaging::sha256_file(part);
  if (!hash) return failed(order, hash.error(), before);
  if (*hash != order.package_sha256) {
    fs::remove(part, ec);
    return failed(order,
                  Error{"package.hash_mismatch",
                        "the downloaded package's SHA-256 is " + *hash + ", the order says " +
                            order.package_sha256,
                        order.download_path},
                  before);
  }

  Attempt attempt{order, progress, part, before};
  DeployResult result = install(attempt);
  fs::remove(part, ec);
  return result;
}

DeployResult Installer::install(Attempt& a) {
  const DeployOrder& order = a.order;
  const std::string& before = a.installed_before;
  // From here every outcome is recorded with the order: the bytes are the ones it names, so
  // running it again could only repeat this outcome (or install twice).
  auto record = [&](DeployResult result) {
    auto saved = update_state([&](State& s) {
      s.journal.reset();
      s.results.push_back(result);
    });
    (void)saved;  // the result still goes to the controller; state.json keeps the journal
    return result;
  };
  auto refuse = [&](const Error& e) { return record(failed(order, e, before)); };

  emit(a.progress, order, "verifying", 0, 0);
  emit(a.progress, order, "installing", 0, 0);
  const fs::path name_dir = config_.install_root / order.package_name;
  const fs::path version_dir = name_dir / order.package_version;
  const fs::path staging = name_dir / (".staging-" + order.package_version + "-" + random_suffix());
  std::error_code ec;
  fs::create_directories(name_dir, ec);
  if (ec) return refuse(Error{"install.write_failed", ec.message(), name_dir.string()});
  auto current = read_current(name_dir);
  if (!current) return refuse(current.error());
  const std::string previous = *current;

  Journal journal{
      order.order_id, order.deployment_id, order.package_name, order.package_version, previous, ""};
  if (auto s = update_state([&](State& st) { st.journal = journal; }); !s) {
    return failed(order, s.error(), before);
  }

  // One pass: the manifest must be the order's and signed by enough publishers before a
  // byte is written; every payload byte is hashed as it is extracted; no hook has run yet.
  auto payload =
      packaging::install_payload(a.package_file, config_.trust, staging, {}, order.manifest_sha256);
  if (!payload) {
    if (payload.error().code == "package.manifest_mismatch") {
      return refuse(Error{
          "order.manifest_mismatch",
          "the package's manifest is not the one the order names (" + order.manifest_sha256 + ")",
          order.download_path});
    }
    return refuse(payload.error());
  }
  const packaging::Manifest& m = payload->manifest;
  if (m.name != order.package_name || m.version != order.package_version) {
    fs::remove_all(staging, ec);
    return refuse(Error{"order.package_mismatch",
                        "the package is " + m.name + " " + m.version + " but the order names " +
                            order.package_name + " " + order.package_version,
                        order.download_path});
  }
  const packaging::Hooks& hooks = payload->manifest.hooks;

  // An earlier copy of this version (a reinstall) moves aside until the outcome is known.
  fs::path aside;
  if (fs::exists(version_dir, ec)) {
    aside = name_dir / (".previous-" + order.package_version + "-" + random_suffix());
    journal.aside = aside.string();
    if (auto s = update_state([&](State& st) { st.journal = journal; }); !s) {
      fs::remove_all(staging, ec);
      return refuse(s.error());
    }
    fs::rename(version_dir, aside, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return refuse(Error{"install.write_failed", ec.message(), version_dir.string()});
    }
  }

  // Puts back the previous version; returns what went wrong doing so ("" when all is well).
  auto undo = [&](bool switched) {
    std::string problems;
    if (switched) {
      if (auto s = switch_current(name_dir, previous); !s) problems += s.error().describe();
    }
    std::error_code uec;
    fs::remove_all(version_dir, uec);
    if (!aside.empty()) {
      fs::rename(aside, version_dir, uec);
      if (uec) problems += (problems.empty() ? "" : "; ") + uec.message();
    }
    return problems;
  };
  auto roll_back = [&](bool switched, std::string code, std::string message) {
    std::string problems = undo(switched);
    if (!problems.empty()) message += "; restoring the previous version also failed: " + problems;
    return refuse(Error{std::move(code), std::move(message), ""});
  };

  fs::rename(staging, version_dir, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove_all(staging, ec);
    return roll_back(false, "install.write_failed",
                     "could not move the payload into place: " + why);
  }
  // The new files must be on disk before current can point at them (power loss).
  if (auto s = sync_filesystem(name_dir); !s) {
    return roll_back(false, "install.write_failed", s.error().describe());
  }

  const std::vector<std::string> env = {
      kHookPath,
      "RELMAN_PACKAGE=" + order.package_name,
      "RELMAN_VERSION=" + order.package_version,
      "RELMAN_PREVIOUS_VERSION=" + previous,
      "RELMAN_INSTALL_DIR=" + version_dir.string(),
  };
  const auto timeout =
      std::chrono::seconds(std::clamp<std::int64_t>(hooks.timeout_seconds, 1, 3600));
  // "" when the hook is empty or succeeded, else the message for the result.
  auto hook = [&](std::string_view kind, const std::string& command) -> std::string {
    if (command.empty()) return {};
    auto log = config_.state_dir / ("hook-" + std::string(kind) + ".log");
    HookRun run = run_hook({command, version_dir, env, timeout, log});
    if (run.ok) return {};
    std::string message = std::string(kind) + " hook `" + clip_utf8(command, 200) + "` " +
                          run.failure + " (" + order.package_name + " " + order.package_version +
                          ")";
    if (!run.tail.empty()) {
      message += "; output (last " + std::to_string(kHookOutputTailBytes) + " bytes):\n" +
                 clip_utf8(run.tail, kHookOutputTailBytes, true);
    }
    return message;
  };

  if (auto why = hook("pre_install", hooks.pre_install); !why.empty()) {
    return roll_back(false, "install.pre_install_failed", why);
  }
  if (auto s = switch_current(name_dir, order.package_version); !s) {
    return roll_back(true, s.error().code, s.error().message + " (" + s.error().context + ")");
  }
  if (auto why = hook("post_install", hooks.post_install); !why.empty()) {
    return roll_back(true, "install.post_install_failed", why);
  }
  if (!hooks.health_check.empty()) {
    emit(a.progress, order, "health_check", 0, 0);
    if (auto why = hook("health_check", hooks.health_check); !why.empty()) {
      return roll_back(true, "install.health_check_failed", why);
    }
  }

  DeployResult result = make_result(order, "succeeded", "",
                                    "installed " + order.package_name + " " + order.package_version,
                                    order.package_version);
  auto saved = update_state([&](State& s) {
    s.journal.reset();
    s.installed[order.package_name] = order.package_version;
    s.results.push_back(result);
  });
  if (!saved) {
    return roll_back(true, "state.write_failed",
                     "installed but could not record it, so the previous version was put back: " +
                         saved.error().describe());
  }
  if (!aside.empty()) fs::remove_all(aside, ec);
  return result;
}

}  // namespace relman::agent
