// The syntax tree of a host query (see docs/query-language.md). Built by parse_query(), read by
// the evaluator, the printer and field listing; immutable once built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "packaging/version.hpp"

namespace relman::controller::query {

// A dotted field path, one entry per part: "software.dpkg.packages" -> 3 parts.
using Path = std::vector<std::string>;

// A literal: a string, a 64-bit integer, a double or a boolean. A string written as
// `semver "1.2.3"` compares by Semantic Versioning precedence instead.
struct Literal {
  std::variant<std::string, std::int64_t, double, bool> value;
  std::optional<packaging::Version> semver;
};

enum class CompareOp { eq, ne, lt, le, gt, ge };

struct Node;
using NodePtr = std::unique_ptr<const Node>;

// `a and b and c` is one And of three terms (at least two); so is `or`.
struct And {
  std::vector<NodePtr> terms;
};
struct Or {
  std::vector<NodePtr> terms;
};
struct Not {
  NodePtr operand;
};
struct Compare {
  Path path;
  CompareOp op;
  Literal literal;
};
struct In {
  Path path;
  std::vector<Literal> list;
};
struct Contains {
  Path path;
  Literal literal;
};
struct Like {
  Path path;
  std::string pattern;  // glob: '*' any run, '?' one byte, '\' quotes the next character
};
struct Exists {
  Path path;
};
// True when the array at `path` has an element for which `body` holds; inside `body` paths are
// relative to the element.
struct Any {
  Path path;
  NodePtr body;
};

struct Node {
  std::variant<And, Or, Not, Compare, In, Contains, Like, Exists, Any> kind;
};

}  // namespace relman::controller::query
