// Host queries: a small language over a host's facts, shared by the rollout planner (targets)
// and inventory compliance views, e.g.
//   os.id == "debian" and memory_mb >= 2048
//   any software.dpkg.packages (name == "openssl" and version >= "3.0.11-1~deb12u2")
// The grammar and the evaluation rules are in docs/query-language.md. Parsing is bounded
// (kMaxQueryBytes, kMaxQueryDepth) and never throws; evaluation never fails: a missing field or
// a value of another type makes a condition false.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/query/ast.hpp"
#include "protocol/error.hpp"

namespace relman::controller::query {

inline constexpr std::size_t kMaxQueryBytes = 4096;
inline constexpr std::size_t kMaxQueryDepth = 32;          // nested (), not, any
inline constexpr std::size_t kMaxPathParts = 16;           // a.b.c...
inline constexpr std::size_t kMaxPathPartBytes = 128;      // one part of a field path
inline constexpr std::size_t kMaxQueryStringBytes = 1024;  // one string literal
inline constexpr std::size_t kMaxListItems = 256;          // in [...]

// A parsed query; cheap to copy (the tree is shared and immutable).
class Query {
 public:
  Query(std::shared_ptr<const Node> root, std::string text)
      : root_(std::move(root)), text_(std::move(text)) {}
  const Node& root() const { return *root_; }
  const std::string& text() const { return text_; }  // as the user wrote it

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

// Errors (context "query"): query.too_long; query.too_deep and query.syntax, whose message
// starts "at column N: " (N counts bytes from 1) and says what was expected and what was found.
Result<Query> parse_query(std::string_view text);

// Whether `document` (usually host_document(), see host_document.hpp) satisfies the query.
bool matches(const Query& query, const nlohmann::json& document);

// The query with every group in parentheses and canonical spacing, e.g.
// `a == 1 or b == 2 and not c` -> `(a == 1 or (b == 2 and not c))`. Parses back to the same.
std::string canonical_text(const Query& query);

// Every field path the query reads, sorted and unique; fields inside `any P (...)` are written
// `P[].field`, and P itself is listed too. For choosing what to index.
std::vector<std::string> referenced_fields(const Query& query);

}  // namespace relman::controller::query
