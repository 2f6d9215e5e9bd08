// Writing a file so that readers see either the old content or the whole new one: a temp file
// in the same directory, fsync, then rename (or link, when overwriting is refused).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::packaging {

// A temp file beside `target` (same directory, so rename is atomic). Removed on destruction
// unless commit() succeeded.
class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // `error_code` is the code used for every failure (e.g. "key.write_failed").
  Result<void> open(const std::filesystem::path& target, mode_t mode, std::string error_code);
  int fd() const { return fd_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  Result<void> write_all(std::string_view bytes);
  // fsync, close, then rename over `target` (or, with overwrite == false, link it into place
  // and fail with `exists_code` if `target` exists).
  Result<void> commit(bool overwrite = true, std::string exists_code = {});

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::string error_code_;
  int fd_ = -1;
  bool committed_ = false;
};

Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view bytes,
                                   mode_t mode, std::string error_code, bool overwrite = true,
                                   std::string exists_code = {});

}  // namespace relman::packaging
