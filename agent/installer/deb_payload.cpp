#include "agent/installer/deb_payload.hpp"

namespace relman::agent {
namespace {

constexpr const char* kDpkgPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

ChildCommand dpkg_run(const DpkgConfig& dpkg, std::vector<std::string> action,
                      const std::filesystem::path& cwd, const std::filesystem::path& log) {
  ChildCommand c;
  c.argv.push_back(dpkg.command.string());
  c.argv.insert(c.argv.end(), dpkg.options.begin(), dpkg.options.end());
  c.argv.insert(c.argv.end(), action.begin(), action.end());
  c.cwd = cwd;
  c.env = {kDpkgPath, "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"};
  c.timeout = dpkg.timeout;
  c.log_file = log;
  return c;
}

bool is_debian_package_name(std::string_view s) {
  if (s.size() < 2 || s.size() > 128) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(s[0])) return false;
  for (char c : s) {
    if (!(lower_digit(c) || c == '+' || c == '-' || c == '.')) return false;
  }
  return true;
}

}  // namespace

ChildCommand dpkg_field_command(const DpkgConfig& dpkg, const std::filesystem::path& deb,
                                const std::filesystem::path& log) {
  return dpkg_run(dpkg, {"--field", deb.string(), "Package"}, deb.parent_path(), log);
}

ChildCommand dpkg_install_command(const DpkgConfig& dpkg, const std::filesystem::path& deb,
                                  const std::filesystem::path& log) {
  return dpkg_run(dpkg, {"--install", deb.string()}, deb.parent_path(), log);
}

ChildCommand dpkg_remove_command(const DpkgConfig& dpkg, const std::string& deb_package,
                                 const std::filesystem::path& log) {
  return dpkg_run(dpkg, {"--remove", deb_package}, "/", log);
}

Result<std::string> parse_deb_package_name(const std::string& output) {
  std::string name = output;
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (!is_debian_package_name(name)) {
    return fail("install.deb_invalid",
                "the .deb does not name a valid Debian package (dpkg printed '" +
                    name.substr(0, 200) + "')",
                "Package");
  }
  return name;
}

}  // namespace relman::agent
