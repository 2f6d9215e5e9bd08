// Errors as values: every path that can fail for a reason outside the program returns
// relman::Result<T>. The code is stable (it reaches the API, the CLI and the logs); the
// message is for people and says what to do; context names the field, file or peer.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace relman {

struct Error {
  std::string code;     // stable, dotted: "package.signature_invalid"
  std::string message;  // one readable sentence
  std::string context;  // field, path or peer the error is about; may be empty

  // "code: message (context)" — the CLI's one line and the log line.
  std::string describe() const {
    std::string s = code + ": " + message;
    if (!context.empty()) s += " (" + context + ")";
    return s;
  }
};

template <class T>
using Result = std::expected<T, Error>;

// Result<void> success value: `return ok();`
inline Result<void> ok() { return {}; }

inline std::unexpected<Error> fail(std::string code, std::string message,
                                   std::string context = {}) {
  return std::unexpected<Error>(Error{std::move(code), std::move(message), std::move(context)});
}

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace relman

// Inside a function returning a Result: evaluates `expr` (a Result), returns its error, or
// binds `var` to its value.
#define RELMAN_TRY(var, expr)                                                  \
  auto var##_result_ = (expr);                                                 \
  if (!var##_result_) return ::relman::fail(std::move(var##_result_.error())); \
  auto& var = *var##_result_

// Inside a function returning a Result: returns the error of `expr` (a Result) if it has one.
#define RELMAN_CHECK(expr)                                                       \
  do {                                                                           \
    auto check_result_ = (expr);                                                 \
    if (!check_result_) return ::relman::fail(std::move(check_result_.error())); \
  } while (0)
