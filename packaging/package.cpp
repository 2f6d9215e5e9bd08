#include "packaging/package.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "packaging/atomic_file.hpp"
#include "packaging/disk_writer.hpp"
#include "packaging/sha256.hpp"
#include "protocol/canonical_json.hpp"
#include "protocol/json_limits.hpp"
#include "protocol/json_reader.hpp"

namespace relman::packaging {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::size_t kMaxSignaturesBytes = 1 << 20;
constexpr std::size_t kMaxSignatures = 256;
constexpr std::string_view kManifestEntry = "manifest.json";
constexpr std::string_view kSignaturesEntry = "signatures.json";
constexpr std::string_view kPayloadPrefix = "payload/";

using ReadPtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<struct archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

std::string archive_message(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? std::string(s) : std::string("unknown libarchive error");
}

// ---- reading -------------------------------------------------------------------------------

// The package file as libarchive reads it: every byte passes through the hash (there is no
// skip callback, so skipped data is read too), and the size is capped.
struct FileSource {
  int fd = -1;
  Sha256 hash;
  std::uint64_t size = 0;
  std::vector<char> buffer = std::vector<char>(kBlockBytes);
  bool too_large = false;

  ~FileSource() {
    if (fd >= 0) ::close(fd);
  }

  static la_ssize_t read(struct archive* a, void* self, const void** out) {
    auto* s = static_cast<FileSource*>(self);
    ssize_t n = 0;
    do {
      n = ::read(s->fd, s->buffer.data(), s->buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      archive_set_error(a, errno, "read failed: %s", std::strerror(errno));
      return -1;
    }
    s->size += static_cast<std::uint64_t>(n);
    if (s->size > protocol::kMaxPackageBytes) {
      s->too_large = true;
      archive_set_error(a, EFBIG, "package is larger than the limit");
      return -1;
    }
    s->hash.update(s->buffer.data(), static_cast<std::size_t>(n));
    *out = s->buffer.data();
    return n;
  }

  // Hashes whatever libarchive did not read (end-of-archive blocks, padding).
  Result<void> drain(const std::filesystem::path& path) {
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("package.read_failed", std::strerror(errno), path.string());
      if (n == 0) return ok();
      size += static_cast<std::uint64_t>(n);
      if (size > protocol::kMaxPackageBytes) {
        return fail("package.too_large", "package is larger than the limit", path.string());
      }
      hash.update(buffer.data(), static_cast<std::size_t>(n));
    }
  }
};

struct OpenPackage {
  std::filesystem::path path;
  FileSource source;
  ReadPtr in{nullptr, archive_read_free};
  std::string manifest_text;
  Manifest manifest;
  std::string canonical;
  std::vector<PackageSignature> signatures;

  Error read_error(std::string_view what) const {
    if (source.too_large) {
      return Error{"package.too_large", "package is larger than the limit", path.string()};
    }
    return Error{"package.malformed", "not a readable package: " + archive_message(in.get()),
                 std::string(what)};
  }
};

Result<std::string> read_small_entry(OpenPackage& p, std::string_view name, std::size_t limit) {
  struct archive_entry* entry = nullptr;
  int r = archive_read_next_header(p.in.get(), &entry);
  if (r == ARCHIVE_EOF) {
    return fail("package.malformed", "package ends before " + std::string(name), std::string(name));
  }
  if (r < ARCHIVE_WARN) return fail(p.read_error(name));
  const char* got = archive_entry_pathname(entry);
  if (!got || got != name || archive_entry_filetype(entry) != AE_IFREG ||
      archive_entry_hardlink(entry)) {
    return fail("package.malformed",
                "expected the regular file " + std::string(name) + " here, found " +
                    (got ? std::string(got) : std::string("an unnamed entry")),
                std::string(name));
  }
  if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0 ||
      static_cast<std::uint64_t>(archive_entry_size(entry)) > limit) {
    return fail("package.malformed", std::string(name) + " is too large", std::string(name));
  }
  std::string text(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    la_ssize_t n = archive_read_data(p.in.get(), text.data() + done, text.size() - done);
    if (n < 0) return fail(p.read_error(name));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done != text.size()) {
    return fail("package.malformed", std::string(name) + " is truncated", std::string(name));
  }
  return text;
}

Result<std::vector<PackageSignature>> parse_signatures(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return fail("package.malformed", "signatures.json must be a JSON array", "signatures.json");
  }
  if (doc.size() > kMaxSignatures) {
    return fail("package.malformed", "signatures.json holds too many signatures",
                "signatures.json");
  }
  std::vector<PackageSignature> sigs;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    std::string where = "signatures[" + std::to_string(i) + "]";
    protocol::JsonReader r(doc[i], where);
    PackageSignature s;
    s.key_id = r.string("key_id", 64);
    s.signature = r.string("signature", 128);
    if (r.ok() && !is_sha256_hex(s.key_id)) {
      r.reject("key_id", "package.malformed", "key_id must be 64 lowercase hex digits");
    }
    if (auto res = r.finish_strict(); !res) {
      return fail("package.malformed", res.error().message, res.error().context);
    }
    if (!seen.insert(s.key_id).second) {
      return fail("package.malformed", "two signatures by the same key", where + ".key_id");
    }
    sigs.push_back(std::move(s));
  }
  return sigs;
}

// Opens the package and reads manifest.json and signatures.json, nothing else.
Result<void> open_package(const std::filesystem::path& path, OpenPackage& p) {
  p.path = path;
  p.source.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (p.source.fd < 0) {
    return fail("package.read_failed", std::string("cannot open package: ") + std::strerror(errno),
                path.string());
  }
  p.in.reset(archive_read_new());
  if (!p.in) return fail("package.read_failed", "out of memory", path.string());
  archive_read_support_format_tar(p.in.get());
  if (archive_read_open2(p.in.get(), &p.source, nullptr, &FileSource::read, nullptr, nullptr) !=
      ARCHIVE_OK) {
    return fail(p.read_error(path.string()));
  }
  auto manifest_text = read_small_entry(p, kManifestEntry, protocol::kMaxManifestBytes);
  if (!manifest_text) return fail(manifest_text.error());
  auto doc =
      protocol::parse_json_object(*manifest_text, protocol::kMaxManifestBytes, kManifestEntry);
  if (!doc) return fail("package.malformed", doc.error().message, std::string(kManifestEntry));
  auto manifest = manifest_from_json(*doc);
  if (!manifest) return fail(manifest.error());
  p.manifest_text = std::move(*manifest_text);
  p.manifest = std::move(*manifest);
  p.canonical = canonical_manifest(p.manifest);
  auto sig_text = read_small_entry(p, kSignaturesEntry, kMaxSignaturesBytes);
  if (!sig_text) return fail(sig_text.error());
  auto sigs = parse_signatures(*sig_text);
  if (!sigs) return fail(sigs.error());
  p.signatures = std::move(*sigs);
  return ok();
}

// Reads the rest of the package (hashing it) and fills in the file's hash and size.
Result<PackageInfo> close_package(OpenPackage& p) {
  if (auto r = p.source.drain(p.path); !r) return fail(r.error());
  PackageInfo info;
  info.manifest = std::move(p.manifest);
  info.manifest_sha256 = sha256_hex(p.canonical);
  info.signatures = std::move(p.signatures);
  info.package_sha256 = p.source.hash.hex_digest();
  info.package_size = p.source.size;
  return info;
}

// Signatures from >= threshold distinct trusted publishers; a trusted key's bad signature is
// an attack or corruption and is refused outright rather than skipped.
Result<void> check_signatures(const OpenPackage& p, const TrustStore& trust) {
  int trusted = 0;
  for (const auto& s : p.signatures) {
    const TrustedKey* key = trust.find_publisher(s.key_id);
    if (!key) continue;
    if (!verify_signature(key->key, p.canonical, s.signature)) {
      return fail("package.signature_invalid",
                  "signature by trusted key '" + key->name + "' does not verify", s.key_id);
    }
    ++trusted;
  }
  if (trusted < trust.threshold) {
    return fail("package.signature_untrusted",
                "package has " + std::to_string(trusted) + " valid trusted signature(s), " +
                    std::to_string(trust.threshold) +
                    " required; sign it with a publisher key listed in trust.json "
                    "('relman pkg sign PACKAGE --key KEY')",
                p.manifest.name + " " + p.manifest.version);
  }
  return ok();
}

// Matches payload entries against the manifest: each listed once, of the listed type.
class PayloadCheck {
 public:
  explicit PayloadCheck(const Manifest& m) {
    for (const auto& f : m.files) files_.emplace(f.path, &f);
    for (const auto& l : m.links) links_.emplace(l.path, &l);
  }

  // Returns the relative path of a payload entry after checking its name and type.
  Result<std::string> admit(struct archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    std::string_view name = raw ? raw : "";
    if (!name.starts_with(kPayloadPrefix)) {
      return fail("package.unexpected_entry", "entry outside payload/", std::string(name));
    }
    auto rel = check_entry_path(name.substr(kPayloadPrefix.size()));
    if (!rel) return fail(rel.error());
    if (!seen_.insert(*rel).second) {
      return fail("package.unexpected_entry", "entry appears more than once", *rel);
    }
    const auto type = archive_entry_filetype(entry);
    const bool hardlink = archive_entry_hardlink(entry) != nullptr;
    if (auto f = files_.find(*rel); f != files_.end()) {
      if (type != AE_IFREG || hardlink) {
        return fail("package.unexpected_entry", "entry is not the regular file the manifest lists",
                    *rel);
      }
      if (!archive_entry_size_is_set(entry) ||
          archive_entry_size(entry) != static_cast<la_int64_t>(f->second->size)) {
        return fail("package.payload_size_mismatch",
                    "file size differs from the manifest's " + std::to_string(f->second->size),
                    *rel);
      }
      return rel;
    }
    if (auto l = links_.find(*rel); l != links_.end()) {
      const char* target = archive_entry_symlink(entry);
      if (type != AE_IFLNK || hardlink || !target || l->second->target != target) {
        return fail("package.unexpected_entry", "entry is not the link the manifest lists", *rel);
      }
      return rel;
    }
    return fail("package.unexpected_entry", "entry is not listed in the manifest", *rel);
  }

  const ManifestFile* file(const std::string& rel) const {
    auto it = files_.find(rel);
    return it == files_.end() ? nullptr : it->second;
  }

  Result<void> all_present() const {
    for (const auto& [path, f] : files_) {
      if (!seen_.contains(path)) {
        return fail("package.missing_file", "file listed in the manifest is missing", path);
      }
    }
    for (const auto& [path, l] : links_) {
      if (!seen_.contains(path)) {
        return fail("package.missing_file", "link listed in the manifest is missing", path);
      }
    }
    return ok();
  }

 private:
  std::map<std::string, const ManifestFile*, std::less<>> files_;
  std::map<std::string, const ManifestLink*, std::less<>> links_;
  std::set<std::string, std::less<>> seen_;
};

// Streams one regular file's data through `hash`, never more than the manifest's size.
Result<void> hash_entry_data(OpenPackage& p, const ManifestFile& f, Sha256& hash) {
  std::uint64_t done = 0;
  for (;;) {
    const void* buf = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(p.in.get(), &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(p.read_error(f.path));
    if (offset < 0 || static_cast<std::uint64_t>(offset) != done) {
      return fail("package.malformed", "sparse or overlapping payload data", f.path);
    }
    done += size;
    if (done > f.size) {
      return fail("package.payload_size_mismatch", "file is larger than the manifest says", f.path);
    }
    hash.update(buf, size);
  }
  if (done != f.size) {
    return fail("package.payload_size_mismatch", "file is smaller than the manifest says", f.path);
  }
  return ok();
}

// Walks the payload entries after manifest and signatures: each must be one the manifest
// lists (PayloadCheck), `fn` sees it with its cleaned path and manifest file (null for a
// link), and at the end every listed file and link must have been seen.
Result<void> for_each_payload_entry(
    OpenPackage& p, const std::function<Result<void>(struct archive_entry*, const std::string&,
                                                     const ManifestFile*)>& fn) {
  PayloadCheck check(p.manifest);
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(p.in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(p.read_error("payload"));
    auto rel = check.admit(entry);
    if (!rel) return fail(rel.error());
    if (auto done = fn(entry, *rel, check.file(*rel)); !done) return done;
  }
  return check.all_present();
}

// verify_package and install_payload: one pass over the payload, optionally writing it.
Result<PackageInfo> check_package(const std::filesystem::path& package, const TrustStore& trust,
                                  DiskWriter* writer, std::string_view expected_manifest_sha256,
                                  const ManifestCheck& accept = {}) {
  OpenPackage p;
  if (auto r = open_package(package, p); !r) return fail(r.error());
  if (!expected_manifest_sha256.empty() && sha256_hex(p.canonical) != expected_manifest_sha256) {
    return fail("package.manifest_mismatch",
                "the package's manifest is not the one expected (" +
                    std::string(expected_manifest_sha256) + ")",
                package.string());
  }
  if (auto r = check_signatures(p, trust); !r) return fail(r.error());
  if (accept) {
    if (auto r = accept(p.manifest); !r) return fail(r.error());
  }
  if (writer) {
    if (auto r = writer->create(); !r) return fail(r.error());
  }
  auto each = for_each_payload_entry(
      p,
      [&](struct archive_entry* entry, const std::string& rel,
          const ManifestFile* f) -> Result<void> {
        Sha256 hash;
        if (writer) {
          std::uint32_t mode = f ? f->mode : 0777;
          auto sink = [&hash](const void* data, std::size_t size) { hash.update(data, size); };
          auto written = writer->write(p.in.get(), entry, rel, mode, sink);
          if (!written) return fail(written.error());
          if (f && *written != f->size) {
            return fail("package.payload_size_mismatch", "file size differs from the manifest",
                        f->path);
          }
        } else if (f) {
          if (auto h = hash_entry_data(p, *f, hash); !h) return fail(h.error());
        }
        if (f && hash.hex_digest() != f->sha256) {
          return fail("package.payload_hash_mismatch",
                      "file content does not match the signed manifest", f->path);
        }
        return ok();
      });
  if (!each) return fail(each.error());
  if (writer) {
    if (auto r = writer->finish(); !r) return fail(r.error());
  }
  return close_package(p);
}

// ---- writing -------------------------------------------------------------------------------

class PackageWriter {
 public:
  Result<void> open(const std::filesystem::path& out) {
    out_path_ = out;
    if (auto r = file_.open(out, 0644, "package.write_failed"); !r) return r;
    a_.reset(archive_write_new());
    if (!a_ || archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_add_filter_none(a_.get()) != ARCHIVE_OK ||
        archive_write_open_fd(a_.get(), file_.fd()) != ARCHIVE_OK) {
      return failure("cannot start the package archive");
    }
    return ok();
  }

  Result<void> add_bytes(std::string_view name, std::string_view bytes) {
    auto e = new_entry(name, AE_IFREG, 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return failure(name);
    if (!bytes.empty() && archive_write_data(a_.get(), bytes.data(), bytes.size()) !=
                              static_cast<la_ssize_t>(bytes.size())) {
      return failure(name);
    }
    return ok();
  }

  // Copies a payload file, checking it still hashes to what the manifest says.
  Result<void> add_file(const ManifestFile& f, const std::filesystem::path& source) {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      return fail("package.read_failed", std::string("cannot open: ") + std::strerror(errno),
                  source.string());
    }
    std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* p) { ::close(*p); });
    auto e = new_entry(std::string(kPayloadPrefix) + f.path, AE_IFREG, f.mode);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.size));
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return failure(f.path);
    Sha256 hash;
    std::vector<char> buf(kBlockBytes);
    std::uint64_t done = 0;
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return fail("package.read_failed", std::strerror(errno), source.string());
      }
      if (n == 0) break;
      done += static_cast<std::uint64_t>(n);
      if (done > f.size) break;
      hash.update(buf.data(), static_cast<std::size_t>(n));
      if (archive_write_data(a_.get(), buf.data(), static_cast<std::size_t>(n)) != n) {
        return failure(f.path);
      }
    }
    if (done != f.size || hash.hex_digest() != f.sha256) {
      return fail("package.payload_changed", "payload file changed while the package was built",
                  f.path);
    }
    return ok();
  }

  Result<void> add_link(const ManifestLink& l) {
    auto e = new_entry(std::string(kPayloadPrefix) + l.path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e.get(), l.target.c_str());
    archive_entry_set_size(e.get(), 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return failure(l.path);
    return ok();
  }

  // Copies an entry of another package, header and data, block by block.
  Result<void> copy_entry(struct archive* in, struct archive_entry* entry,
                          const std::string& what) {
    if (archive_write_header(a_.get(), entry) != ARCHIVE_OK) return failure(what);
    if (archive_entry_filetype(entry) != AE_IFREG) return ok();
    for (;;) {
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(in, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        return fail("package.malformed", "not a readable package: " + archive_message(in), what);
      }
      if (size > 0 && archive_write_data(a_.get(), buf, size) != static_cast<la_ssize_t>(size)) {
        return failure(what);
      }
    }
    return ok();
  }

  Result<void> commit() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return failure("closing the archive");
    return file_.commit();
  }

 private:
  static EntryPtr new_entry(std::string_view name, unsigned type, unsigned mode) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), std::string(name).c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), mode);
    // Fixed metadata: the same payload gives the same package bytes.
    archive_entry_set_mtime(e.get(), 0, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    return e;
  }

  std::unexpected<Error> failure(std::string_view what) {
    std::string msg = a_ ? archive_message(a_.get()) : std::string("out of memory");
    return fail("package.write_failed", "cannot write package: " + msg,
                out_path_.string() + ": " + std::string(what));
  }

  std::filesystem::path out_path_;
  AtomicFile file_;
  WritePtr a_{nullptr, archive_write_free};
};

std::string signatures_json(const std::vector<PackageSignature>& sigs) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : sigs) arr.push_back({{"key_id", s.key_id}, {"signature", s.signature}});
  return arr.dump(2) + "\n";
}

Result<void> scan_payload(const std::filesystem::path& dir, Manifest& m) {
  std::error_code ec;
  auto status = std::filesystem::symlink_status(dir, ec);
  if (ec || !std::filesystem::is_directory(status)) {
    return fail("package.read_failed", "payload directory does not exist or is not a directory",
                dir.string());
  }
  m.files.clear();
  m.links.clear();
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    auto rel = path.lexically_relative(dir).generic_string();
    auto st = it->symlink_status(ec);
    if (ec) break;
    if (std::filesystem::is_directory(st)) continue;
    if (!is_safe_relative_path(rel)) {
      return fail("package.unsupported_file", "payload path is not allowed", rel);
    }
    if (m.files.size() + m.links.size() >= protocol::kMaxManifestFiles) {
      return fail("package.unsupported_file", "payload holds too many files", dir.string());
    }
    if (std::filesystem::is_symlink(st)) {
      auto target = std::filesystem::read_symlink(path, ec);
      if (ec) break;
      m.links.push_back({rel, target.string()});
    } else if (std::filesystem::is_regular_file(st)) {
      auto hash = sha256_file(path);
      if (!hash) return fail("package.read_failed", hash.error().message, path.string());
      auto size = std::filesystem::file_size(path, ec);
      if (ec) break;
      auto perms = static_cast<std::uint32_t>(st.permissions()) & 0777;
      m.files.push_back({rel, size, *hash, perms});
    } else {
      return fail("package.unsupported_file",
                  "payload may hold only regular files, directories and symbolic links", rel);
    }
  }
  if (ec) return fail("package.read_failed", ec.message(), dir.string());
  auto by_path = [](const auto& a, const auto& b) { return a.path < b.path; };
  std::sort(m.files.begin(), m.files.end(), by_path);
  std::sort(m.links.begin(), m.links.end(), by_path);
  return ok();
}

}  // namespace

Result<PackageInfo> build_package(const BuildSpec& spec, const std::filesystem::path& out) {
  Manifest m = spec.manifest;
  if (auto r = scan_payload(spec.payload_dir, m); !r) return fail(r.error());
  // The manifest must read back exactly as it will be verified (and be signable).
  auto doc = to_json(m);
  if (auto canon = protocol::canonical_json(doc); !canon) {
    return fail("manifest.invalid", canon.error().message, "manifest");
  }
  auto checked = manifest_from_json(doc);
  if (!checked) return fail(checked.error());

  PackageWriter w;
  if (auto r = w.open(out); !r) return fail(r.error());
  if (auto r = w.add_bytes(kManifestEntry, doc.dump(2) + "\n"); !r) return fail(r.error());
  if (auto r = w.add_bytes(kSignaturesEntry, signatures_json({})); !r) return fail(r.error());
  for (const auto& f : m.files) {
    if (auto r = w.add_file(f, spec.payload_dir / f.path); !r) return fail(r.error());
  }
  for (const auto& l : m.links) {
    if (auto r = w.add_link(l); !r) return fail(r.error());
  }
  if (auto r = w.commit(); !r) return fail(r.error());
  return inspect_package(out);
}

Result<PackageInfo> sign_package(const std::filesystem::path& package, const PrivateKey& key) {
  if (!key.valid()) return fail("key.invalid", "no signing key");
  OpenPackage p;
  if (auto r = open_package(package, p); !r) return fail(r.error());
  const std::string key_id = key.public_key().key_id();
  std::erase_if(p.signatures, [&](const PackageSignature& s) { return s.key_id == key_id; });
  p.signatures.push_back({key_id, sign(key, p.canonical)});
  std::sort(p.signatures.begin(), p.signatures.end(),
            [](const auto& a, const auto& b) { return a.key_id < b.key_id; });

  PackageWriter w;
  if (auto r = w.open(package); !r) return fail(r.error());
  if (auto r = w.add_bytes(kManifestEntry, p.manifest_text); !r) return fail(r.error());
  if (auto r = w.add_bytes(kSignaturesEntry, signatures_json(p.signatures)); !r) {
    return fail(r.error());
  }
  // Structure only: signing copies the payload as it is; verification checks its bytes.
  auto copied = for_each_payload_entry(
      p, [&](struct archive_entry* entry, const std::string& rel, const ManifestFile*) {
        return w.copy_entry(p.in.get(), entry, rel);
      });
  if (!copied) return fail(copied.error());
  if (auto r = w.commit(); !r) return fail(r.error());
  return inspect_package(package);
}

Result<PackageInfo> inspect_package(const std::filesystem::path& package) {
  OpenPackage p;
  if (auto r = open_package(package, p); !r) return fail(r.error());
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(p.in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(p.read_error("payload"));
    // Reading the next header skips the data, through the hashing source.
  }
  return close_package(p);
}

Result<PackageInfo> verify_package(const std::filesystem::path& package, const TrustStore& trust) {
  return check_package(package, trust, nullptr, {});
}

Result<PackageInfo> install_payload(const std::filesystem::path& package, const TrustStore& trust,
                                    const std::filesystem::path& dest, const ExtractLimits& limits,
                                    std::string_view expected_manifest_sha256,
                                    const ManifestCheck& accept) {
  DiskWriter writer(dest, limits);  // removes dest unless finish() succeeded
  return check_package(package, trust, &writer, expected_manifest_sha256, accept);
}

}  // namespace relman::packaging
