#include "controller/releases/attachment_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>

#include "packaging/sha256.hpp"

namespace relman::controller {
namespace {

bool is_token_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Flushes a file's data to disk before it is renamed into place.
bool sync_file(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

AttachmentStore::AttachmentStore(std::filesystem::path dir, std::uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

Result<void> AttachmentStore::open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail("attachment.io", "cannot create the attachment directory", dir_.string());
  return ok();
}

Result<StoredBlob> AttachmentStore::put(const std::filesystem::path& upload) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(upload, ec);
  if (ec) return fail("attachment.io", "cannot read the upload", upload.string());
  if (size == 0) return fail("attachment.empty", "the attachment has no content");
  if (size > max_bytes_) {
    return fail("attachment.too_large", "the attachment is larger than attachment_max_bytes (" +
                                            std::to_string(max_bytes_) + ")");
  }
  RELMAN_TRY(sha, packaging::sha256_file(upload));
  const auto sub = dir_ / sha.substr(0, 2);
  const auto target = sub / sha;
  if (std::filesystem::exists(target, ec)) {
    std::filesystem::remove(upload, ec);  // already kept: the same bytes
    return StoredBlob{sha, size};
  }
  std::filesystem::create_directories(sub, ec);
  if (ec || !sync_file(upload)) {
    return fail("attachment.io", "cannot store the attachment", target.string());
  }
  std::filesystem::rename(upload, target, ec);
  if (ec) return fail("attachment.io", "cannot store the attachment", target.string());
  return StoredBlob{sha, size};
}

Result<std::filesystem::path> AttachmentStore::path_of(const std::string& sha256) const {
  if (!packaging::is_sha256_hex(sha256)) {
    return fail("attachment.not_found", "no such attachment content", sha256);
  }
  auto p = dir_ / sha256.substr(0, 2) / sha256;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    return fail("attachment.not_found", "the attachment's content is missing from the store",
                sha256);
  }
  return p;
}

Result<void> check_attachment_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxAttachmentNameLength) {
    return fail("attachment.invalid_name", "the name must be 1 to 200 bytes", "name");
  }
  if (name == "." || name == "..") {
    return fail("attachment.invalid_name", "the name cannot be . or ..", "name");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
      return fail("attachment.invalid_name", "the name cannot contain control characters, / or \\",
                  "name");
    }
  }
  // Valid UTF-8 (no overlong forms or surrogates are checked beyond the byte structure).
  for (std::size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (n == 0 || i + n > name.size()) {
      return fail("attachment.invalid_name", "the name is not UTF-8", "name");
    }
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(name[i + k]) >> 6) != 0x2) {
        return fail("attachment.invalid_name", "the name is not UTF-8", "name");
      }
    }
    i += n;
  }
  return ok();
}

Result<std::string> normalize_media_type(const std::string& value) {
  auto end = value.find(';');
  std::string type = value.substr(0, end);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  auto slash = type.find('/');
  bool good = !type.empty() && type.size() <= 100 && slash != std::string::npos && slash > 0 &&
              slash + 1 < type.size();
  for (std::size_t i = 0; good && i < type.size(); ++i) {
    good = i == slash || is_token_char(static_cast<unsigned char>(type[i]));
  }
  if (!good) {
    return fail("attachment.invalid_media_type", "Content-Type must be type/subtype",
                "content-type");
  }
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

}  // namespace relman::controller
