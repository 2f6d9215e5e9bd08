// The directories the installer owns: <install_root>/<package>/<version>/ holds each kept
// version, <install_root>/<package>/current is a relative symlink to the active one, switched
// with one rename. Names starting with '.' are the installer's work in progress
// (.staging-*, .previous-*, .current-*) and never survive a restart.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "protocol/error.hpp"

namespace relman::agent {

// What current points to ("" when absent); install.current_invalid when it is not a symlink.
Result<std::string> read_current(const std::filesystem::path& package_dir);

// Points current at `version` (relative) with one rename, or removes it when version is "";
// the directory is synced so the switch survives a power loss.
Result<void> switch_current(const std::filesystem::path& package_dir, const std::string& version);

// fsync of a directory, so a rename or a new entry in it survives a power loss.
// `error_code` is the code of the failure (io.sync_failed, state.write_failed, ...).
Result<void> fsync_directory(const std::filesystem::path& dir,
                             const std::string& error_code = "io.sync_failed");

// syncfs of the filesystem holding `dir` (new files must be on disk before current points at
// them). io.sync_failed.
Result<void> sync_filesystem(const std::filesystem::path& dir);

// A random 16-hex-digit suffix for work-in-progress names.
std::string random_suffix();

// Removes work in progress (.staging-*, .previous-*, .current-*) left in every package
// directory under install_root by an agent that was killed, except `keep` (full paths).
void remove_leftovers(const std::filesystem::path& install_root,
                      const std::set<std::filesystem::path>& keep = {});

// Removes version directories of `package_dir` that are not in `keep`; only names that are
// valid versions are touched (files such as logs that hooks write beside them stay). Returns
// the versions removed.
std::set<std::string> remove_versions_except(const std::filesystem::path& package_dir,
                                             const std::set<std::string>& keep);

}  // namespace relman::agent
