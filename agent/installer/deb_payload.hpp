// Payload kind "deb": the package's payload is one Debian package (.deb), verified like any
// payload (publisher signatures, every byte hashed) and extracted into the version directory
// before dpkg sees it; then dpkg installs it as a child process with a time limit. Going back
// to a previous version is dpkg -i of the previous version's kept .deb (or dpkg --remove when
// there was none).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/installer/child_process.hpp"
#include "protocol/error.hpp"

namespace relman::agent {

struct DpkgConfig {
  std::filesystem::path command = "/usr/bin/dpkg";
  // Put before every action, e.g. {"--root=/srv/chroot", "--log=/srv/chroot/dpkg.log"}; tests
  // point --root (or --admindir/--instdir) into a temp dir so the machine is not changed.
  std::vector<std::string> options;
  std::chrono::seconds timeout{600};  // per dpkg run
};

// The dpkg runs the installer makes; the caller runs them (journal, time limit, output).
ChildCommand dpkg_field_command(const DpkgConfig& dpkg, const std::filesystem::path& deb,
                                const std::filesystem::path& log);
ChildCommand dpkg_install_command(const DpkgConfig& dpkg, const std::filesystem::path& deb,
                                  const std::filesystem::path& log);
ChildCommand dpkg_remove_command(const DpkgConfig& dpkg, const std::string& deb_package,
                                 const std::filesystem::path& log);

// The Package field printed by dpkg_field_command; install.deb_invalid if it is not a valid
// Debian package name.
Result<std::string> parse_deb_package_name(const std::string& output);

}  // namespace relman::agent
