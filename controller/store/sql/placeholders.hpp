// Store SQL is written with SQLite's placeholders: `?` (the next number) and `?N`. PostgreSQL
// wants `$N`. This rewrites them outside string literals, quoted identifiers, comments and
// dollar-quoted bodies, and refuses what would not mean the same on both databases.
#pragma once

#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::controller::sql {

struct NumberedSql {
  std::string text;    // with $1..$n
  int parameters = 0;  // the highest parameter number used
};

// store.query_failed for: more than one statement, `?0` or a number above 32766, or a `$N`
// written by hand (write `?N`: SQLite reads `$N` as a named parameter).
Result<NumberedSql> number_placeholders(std::string_view sql);

}  // namespace relman::controller::sql
