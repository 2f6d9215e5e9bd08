#include "controller/store/sql/placeholders.hpp"

#include <cctype>

namespace relman::controller::sql {
namespace {

constexpr int kMaxParameter = 32766;  // SQLite's default limit; PostgreSQL allows more

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool digit(char c) { return c >= '0' && c <= '9'; }

// At `$`: the length of a dollar-quote opener `$tag$` starting here, or 0.
std::size_t dollar_tag(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  if (j < s.size() && digit(s[j])) return 0;  // $1 is a parameter, not a quote
  while (j < s.size() && ident_char(s[j])) ++j;
  return j < s.size() && s[j] == '$' ? j - i + 1 : 0;
}

std::unexpected<Error> refuse(std::string message, std::string_view sql) {
  return fail("store.query_failed", std::move(message), std::string(sql.substr(0, 200)));
}

}  // namespace

Result<NumberedSql> number_placeholders(std::string_view sql) {
  NumberedSql out;
  out.text.reserve(sql.size() + 16);
  bool ended = false;  // a `;` outside quotes was seen
  std::size_t i = 0;
  auto copy_until = [&](std::string_view closer) -> bool {
    auto end = sql.find(closer, i);
    if (end == std::string_view::npos) return false;
    out.text.append(sql.substr(i, end + closer.size() - i));
    i = end + closer.size();
    return true;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (ended && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';') {
      return refuse("prepare takes one statement", sql);
    }
    if (c == '\'') {
      // E'...' strings escape with backslashes; standard ones double the quote.
      bool escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !ident_char(sql[i - 2]));
      out.text += c;
      ++i;
      for (;;) {
        if (i >= sql.size()) return refuse("unterminated string literal", sql);
        char d = sql[i++];
        out.text += d;
        if (escapes && d == '\\' && i < sql.size()) {
          out.text += sql[i++];
        } else if (d == '\'') {
          if (i < sql.size() && sql[i] == '\'') {
            out.text += sql[i++];
          } else {
            break;
          }
        }
      }
    } else if (c == '"') {
      ++i;
      out.text += c;
      if (!copy_until("\"")) return refuse("unterminated quoted identifier", sql);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      if (!copy_until("\n")) {
        out.text.append(sql.substr(i));
        i = sql.size();
      }
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      out.text += "/*";
      i += 2;
      if (!copy_until("*/")) return refuse("unterminated comment", sql);
    } else if (c == '$' && (i == 0 || !ident_char(sql[i - 1]))) {
      if (i + 1 < sql.size() && digit(sql[i + 1])) {
        return refuse("write parameters as ? or ?N, not $N", sql);
      }
      std::size_t tag = dollar_tag(sql, i);
      if (tag == 0) {
        out.text += c;
        ++i;
        continue;
      }
      std::string closer(sql.substr(i, tag));
      out.text.append(closer);
      i += tag;
      if (!copy_until(closer)) return refuse("unterminated dollar-quoted string", sql);
    } else if (c == '?') {
      ++i;
      int n = 0;
      if (i < sql.size() && digit(sql[i])) {
        while (i < sql.size() && digit(sql[i])) {
          n = n * 10 + (sql[i++] - '0');
          if (n > kMaxParameter) return refuse("parameter number too large", sql);
        }
        if (n == 0) return refuse("parameters are numbered from 1", sql);
      } else {
        n = out.parameters + 1;
        if (n > kMaxParameter) return refuse("too many parameters", sql);
      }
      if (n > out.parameters) out.parameters = n;
      out.text += '$';
      out.text += std::to_string(n);
    } else {
      if (c == ';') ended = true;
      out.text += c;
      ++i;
    }
  }
  return out;
}

}  // namespace relman::controller::sql
