#include "controller/query/lexer.hpp"

#include <charconv>

#include "controller/query/query.hpp"

namespace relman::controller::query {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_word_char(char c) { return is_word_start(c) || is_digit(c) || c == '-'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    for (;;) {
      while (i_ < s_.size() &&
             (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
        ++i_;
      Token t;
      t.column = i_ + 1;
      if (i_ >= s_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      char c = s_[i_];
      if (is_word_start(c)) {
        RELMAN_CHECK(word(t));
      } else if (c == '"') {
        RELMAN_CHECK(string(t));
      } else if (is_digit(c) || c == '-') {
        RELMAN_CHECK(number(t));
      } else {
        RELMAN_CHECK(punctuation(t));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  Result<void> word(Token& t) {
    t.kind = TokenKind::word;
    std::size_t start = i_;
    for (;;) {
      std::size_t part_start = i_;
      while (i_ < s_.size() && is_word_char(s_[i_])) ++i_;
      if (i_ == part_start)
        return fail(syntax_error(i_ + 1, "expected a field name part after '.'"));
      if (i_ - part_start > kMaxPathPartBytes) {
        return fail(syntax_error(part_start + 1, "a field name part is longer than " +
                                                     std::to_string(kMaxPathPartBytes) + " bytes"));
      }
      t.parts.emplace_back(s_.substr(part_start, i_ - part_start));
      if (t.parts.size() > kMaxPathParts) {
        return fail(syntax_error(
            start + 1, "a field path has more than " + std::to_string(kMaxPathParts) + " parts"));
      }
      if (i_ >= s_.size() || s_[i_] != '.') break;
      ++i_;
    }
    t.text = std::string(s_.substr(start, i_ - start));
    return ok();
  }

  Result<void> string(Token& t) {
    t.kind = TokenKind::string;
    std::size_t start = i_++;
    for (;;) {
      if (i_ >= s_.size()) return fail(syntax_error(start + 1, "unterminated string"));
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return ok();
      }
      if (c == '\\') {
        char next = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
        if (next != '"' && next != '\\') {
          return fail(syntax_error(i_ + 1, "unknown escape in string (only \\\" and \\\\ exist)"));
        }
        c = next;
        ++i_;
      }
      t.text.push_back(c);
      ++i_;
      if (t.text.size() > kMaxQueryStringBytes) {
        return fail(syntax_error(start + 1, "a string is longer than " +
                                                std::to_string(kMaxQueryStringBytes) + " bytes"));
      }
    }
  }

  Result<void> number(Token& t) {
    std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    std::size_t digits = i_;
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    bool fraction = false;
    if (i_ > digits && i_ < s_.size() && s_[i_] == '.') {
      fraction = true;
      std::size_t frac = ++i_;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
      if (i_ == frac) return fail(syntax_error(start + 1, "malformed number"));
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      return fail(
          syntax_error(start + 1, "malformed number (write a version as a string: \"1.2.3\")"));
    }
    if (i_ == digits || (i_ < s_.size() && is_word_char(s_[i_]))) {
      return fail(syntax_error(start + 1, "malformed number"));
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    std::from_chars_result r{};
    if (fraction) {
      t.kind = TokenKind::decimal;
      r = std::from_chars(first, last, t.decimal);
    } else {
      t.kind = TokenKind::integer;
      r = std::from_chars(first, last, t.integer);
    }
    if (r.ec != std::errc() || r.ptr != last) {
      return fail(syntax_error(start + 1, "number out of range"));
    }
    t.text = std::string(first, last);
    return ok();
  }

  Result<void> punctuation(Token& t) {
    char c = s_[i_];
    char next = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
    auto one = [&](TokenKind k) {
      t.kind = k;
      t.text = std::string(1, c);
      i_ += 1;
      return ok();
    };
    auto two = [&](TokenKind k) {
      t.kind = k;
      t.text = std::string(s_.substr(i_, 2));
      i_ += 2;
      return ok();
    };
    switch (c) {
      case '(':
        return one(TokenKind::lparen);
      case ')':
        return one(TokenKind::rparen);
      case '[':
        return one(TokenKind::lbracket);
      case ']':
        return one(TokenKind::rbracket);
      case ',':
        return one(TokenKind::comma);
      case '<':
        return next == '=' ? two(TokenKind::le) : one(TokenKind::lt);
      case '>':
        return next == '=' ? two(TokenKind::ge) : one(TokenKind::gt);
      case '=':
        if (next == '=') return two(TokenKind::eq);
        return fail(syntax_error(i_ + 1, "unexpected '=' (equality is written ==)"));
      case '!':
        if (next == '=') return two(TokenKind::ne);
        return fail(syntax_error(i_ + 1, "unexpected '!' (negation is written not)"));
      default:
        break;
    }
    auto byte = static_cast<unsigned char>(c);
    std::string shown =
        byte >= 0x20 && byte < 0x7f ? "'" + std::string(1, c) + "'" : "byte 0x" + hex(byte);
    return fail(syntax_error(i_ + 1, "unexpected character " + shown));
  }

  static std::string hex(unsigned char b) {
    const char* digits = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Error syntax_error(std::size_t column, const std::string& what) {
  return Error{"query.syntax", "at column " + std::to_string(column) + ": " + what, "query"};
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::end:
      return "the end of the query";
    case TokenKind::string: {
      constexpr std::size_t kShown = 24;
      if (t.text.size() <= kShown) return "string \"" + t.text + "\"";
      return "string \"" + t.text.substr(0, kShown) + "...\"";
    }
    case TokenKind::integer:
    case TokenKind::decimal:
      return "number " + t.text;
    default:
      return "'" + t.text + "'";
  }
}

Result<std::vector<Token>> tokenize(std::string_view text) { return Lexer(text).run(); }

}  // namespace relman::controller::query
