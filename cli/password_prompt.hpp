// The login password: one line from a file or stdin, asked for with the echo off when stdin is
// a terminal (and the echo restored if the prompt is interrupted by SIGINT or SIGTERM).
#pragma once

#include <istream>
#include <string>

#include "protocol/error.hpp"

namespace relman::cli {

// The first line of `in` without its line end; `source` names it in errors. Errors:
// cli.no_password (none, or empty), cli.password_too_long (over 1024 bytes).
Result<std::string> read_password_line(std::istream& in, const std::string& source);

// One line from stdin; with `prompt`, and stdin a terminal, asks for it with the echo off.
Result<std::string> read_password_stdin(bool prompt);

}  // namespace relman::cli
