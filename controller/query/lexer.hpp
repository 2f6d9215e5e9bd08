// Tokens of the host query language. Internal to controller/query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller::query {

enum class TokenKind {
  end,
  word,  // a field path ("os.id") or a keyword ("and"); `parts` holds the dotted parts
  string,
  integer,
  decimal,
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::size_t column = 0;          // 1-based byte offset of the first character
  std::string text;                // word: as written; string: the unescaped value
  std::vector<std::string> parts;  // word only
  std::int64_t integer = 0;
  double decimal = 0;
};

// How a token reads in an error message: "'and'", "string \"deb...\"", "the end of the query".
std::string describe(const Token& token);

// query.syntax errors with "at column N: ..." messages.
Result<std::vector<Token>> tokenize(std::string_view text);

// An error at a column, in the one format every query error uses.
Error syntax_error(std::size_t column, const std::string& what);

}  // namespace relman::controller::query
