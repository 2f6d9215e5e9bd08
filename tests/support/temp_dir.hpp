// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope end.
#pragma once

#include <filesystem>
#include <string>

namespace relman::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "relman-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes a whole file (creating parent directories); throws on failure (tests only).
void write_file(const std::filesystem::path& file, const std::string& content);
std::string read_file(const std::filesystem::path& file);

}  // namespace relman::test
