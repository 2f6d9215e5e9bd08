#include "protocol/config_file.hpp"

#include <fstream>
#include <sstream>

#include "protocol/json_reader.hpp"

namespace relman::protocol {

std::filesystem::path ConfigFile::resolve(const std::string& path) const {
  if (path.empty()) return {};
  std::filesystem::path p(path);
  return p.is_absolute() ? p : base / p;
}

Result<ConfigFile> read_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("config.read_failed", "cannot read the config file", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  RELMAN_TRY(doc, parse_json_object(text.str(), 1 << 20, "config"));
  return ConfigFile{std::move(doc), std::filesystem::absolute(file).parent_path()};
}

}  // namespace relman::protocol
