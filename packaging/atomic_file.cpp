#include "packaging/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace relman::packaging {

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

Result<void> AtomicFile::open(const std::filesystem::path& target, mode_t mode,
                              std::string error_code) {
  target_ = target;
  error_code_ = std::move(error_code);
  auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  fd_ = ::mkstemp(tmpl.data());
  if (fd_ < 0) {
    return fail(error_code_, std::string("cannot create a temporary file: ") + std::strerror(errno),
                target.string());
  }
  temp_ = tmpl;
  if (::fchmod(fd_, mode) != 0) {
    return fail(error_code_, std::string("cannot set file mode: ") + std::strerror(errno),
                target.string());
  }
  return ok();
}

Result<void> AtomicFile::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return fail(error_code_, std::string("cannot write: ") + std::strerror(errno),
                  target_.string());
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

Result<void> AtomicFile::commit(bool overwrite, std::string exists_code) {
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    return fail(error_code_, std::string("cannot flush: ") + std::strerror(errno),
                target_.string());
  }
  fd_ = -1;
  if (overwrite) {
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
      return fail(error_code_, std::string("cannot rename into place: ") + std::strerror(errno),
                  target_.string());
    }
  } else {
    // link() fails if the target exists: no window where an existing file is replaced.
    if (::link(temp_.c_str(), target_.c_str()) != 0) {
      if (errno == EEXIST) {
        return fail(exists_code.empty() ? error_code_ : exists_code,
                    "file exists; refusing to overwrite it", target_.string());
      }
      return fail(error_code_, std::string("cannot link into place: ") + std::strerror(errno),
                  target_.string());
    }
    ::unlink(temp_.c_str());
  }
  committed_ = true;
  return ok();
}

Result<void> write_file_atomically(const std::filesystem::path& target, std::string_view bytes,
                                   mode_t mode, std::string error_code, bool overwrite,
                                   std::string exists_code) {
  AtomicFile file;
  if (auto r = file.open(target, mode, std::move(error_code)); !r) return r;
  if (auto r = file.write_all(bytes); !r) return r;
  return file.commit(overwrite, std::move(exists_code));
}

}  // namespace relman::packaging
