// Release attachments' content, stored by SHA-256 under <data_dir>/attachments/<aa>/<sha256>:
// the same bytes attached twice (to one release or several) are kept once, and a stored file
// is never changed (its name is its hash). The records that say which release has which file
// under which name are the Store's (release_attachments); this only keeps the bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "protocol/error.hpp"

namespace relman::controller {

inline constexpr std::uint64_t kDefaultAttachmentMaxBytes = 25ull << 20;  // 25 MiB
inline constexpr std::uint64_t kMaxAttachmentMaxBytes = 1ull << 30;       // config ceiling
inline constexpr std::size_t kMaxAttachmentNameLength = 200;

struct StoredBlob {
  std::string sha256;
  std::uint64_t size = 0;
};

class AttachmentStore {
 public:
  AttachmentStore(std::filesystem::path dir, std::uint64_t max_bytes);

  Result<void> open();  // creates the directory
  // Takes the uploaded file (renamed into place, or removed when the content is already
  // stored). attachment.too_large over the limit, attachment.empty for no bytes, attachment.io.
  Result<StoredBlob> put(const std::filesystem::path& upload);
  // The stored file of `sha256`; attachment.not_found when absent or not a hash.
  Result<std::filesystem::path> path_of(const std::string& sha256) const;
  std::uint64_t max_bytes() const { return max_bytes_; }

 private:
  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
};

// An attachment's file name as shown and downloaded: 1..200 bytes of UTF-8 without control
// characters, '/' or '\\', not "." or "..". attachment.invalid_name naming why.
Result<void> check_attachment_name(const std::string& name);
// A media type "type/subtype" of token characters (RFC 9110), at most 100 bytes; parameters
// (";charset=...") are dropped. attachment.invalid_media_type otherwise.
Result<std::string> normalize_media_type(const std::string& value);

}  // namespace relman::controller
