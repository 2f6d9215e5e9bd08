#include "cli/password_prompt.hpp"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <iostream>

namespace relman::cli {
namespace {

constexpr std::size_t kMaxPasswordBytes = 1024;

struct termios g_saved_termios;
volatile std::sig_atomic_t g_echo_off = 0;

void restore_echo_and_reraise(int sig) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

Result<std::string> read_password_line(std::istream& in, const std::string& source) {
  std::string line;
  if (!std::getline(in, line) && line.empty()) {
    return fail("cli.no_password", "no password given", source);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail("cli.no_password", "the password is empty", source);
  if (line.size() > kMaxPasswordBytes) {
    return fail("cli.password_too_long", "the password is longer than 1024 bytes", source);
  }
  return line;
}

Result<std::string> read_password_stdin(bool prompt) {
  if (!prompt || !::isatty(STDIN_FILENO)) return read_password_line(std::cin, "stdin");
  std::cerr << "Password: " << std::flush;
  if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) {
    return read_password_line(std::cin, "stdin");
  }
  struct termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto old_int = std::signal(SIGINT, restore_echo_and_reraise);
  auto old_term = std::signal(SIGTERM, restore_echo_and_reraise);
  g_echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  auto line = read_password_line(std::cin, "stdin");
  ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_echo_off = 0;
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  return line;
}

}  // namespace relman::cli
