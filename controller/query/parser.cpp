// Recursive descent over the tokens; the grammar is in docs/query-language.md:
//   query     := or_expr END
//   or_expr   := and_expr { "or" and_expr }
//   and_expr  := unary { "and" unary }
//   unary     := "not" unary | "(" or_expr ")" | "any" PATH "(" or_expr ")" | predicate
//   predicate := PATH ( CMP value | "in" "[" value { "," value } "]" | "contains" value
//                     | "like" STRING | "exists" )
//   value     := STRING | NUMBER | "true" | "false" | "semver" STRING
#include <array>

#include "controller/query/lexer.hpp"
#include "controller/query/query.hpp"

namespace relman::controller::query {
namespace {

constexpr std::array<std::string_view, 11> kKeywords = {
    "and", "or", "not", "in", "contains", "like", "exists", "any", "true", "false", "semver"};

bool is_keyword(const Token& t, std::string_view kw) {
  return t.kind == TokenKind::word && t.parts.size() == 1 && t.text == kw;
}

bool is_any_keyword(const Token& t) {
  for (auto kw : kKeywords) {
    if (is_keyword(t, kw)) return true;
  }
  return false;
}

std::optional<CompareOp> compare_op(TokenKind k) {
  switch (k) {
    case TokenKind::eq:
      return CompareOp::eq;
    case TokenKind::ne:
      return CompareOp::ne;
    case TokenKind::lt:
      return CompareOp::lt;
    case TokenKind::le:
      return CompareOp::le;
    case TokenKind::gt:
      return CompareOp::gt;
    case TokenKind::ge:
      return CompareOp::ge;
    default:
      return std::nullopt;
  }
}

NodePtr make(auto kind) { return std::make_unique<const Node>(Node{std::move(kind)}); }

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<NodePtr> query() {
    RELMAN_TRY(root, or_expr());
    if (peek().kind != TokenKind::end) {
      return fail(error_here("expected 'and', 'or' or the end of the query"));
    }
    return std::move(root);
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  const Token& take() {
    const Token& t = t_[pos_];
    if (t.kind != TokenKind::end) ++pos_;
    return t;
  }
  Error error_here(const std::string& expected) const {
    return syntax_error(peek().column, expected + ", found " + describe(peek()));
  }

  Result<NodePtr> or_expr() {
    RELMAN_TRY(first, and_expr());
    if (!is_keyword(peek(), "or")) return std::move(first);
    Or node;
    node.terms.push_back(std::move(first));
    while (is_keyword(peek(), "or")) {
      take();
      RELMAN_TRY(next, and_expr());
      node.terms.push_back(std::move(next));
    }
    return make(std::move(node));
  }

  Result<NodePtr> and_expr() {
    RELMAN_TRY(first, unary());
    if (!is_keyword(peek(), "and")) return std::move(first);
    And node;
    node.terms.push_back(std::move(first));
    while (is_keyword(peek(), "and")) {
      take();
      RELMAN_TRY(next, unary());
      node.terms.push_back(std::move(next));
    }
    return make(std::move(node));
  }

  // Each level of (), not and any costs one unit of depth.
  Result<void> enter(std::size_t column) {
    if (++depth_ > kMaxQueryDepth) {
      return fail("query.too_deep",
                  "at column " + std::to_string(column) + ": nesting is deeper than " +
                      std::to_string(kMaxQueryDepth) + " levels of (), not and any",
                  "query");
    }
    return ok();
  }

  Result<NodePtr> unary() {
    const Token& t = peek();
    if (is_keyword(t, "not")) {
      RELMAN_CHECK(enter(t.column));
      take();
      RELMAN_TRY(operand, unary());
      --depth_;
      return make(Not{std::move(operand)});
    }
    if (t.kind == TokenKind::lparen) {
      RELMAN_CHECK(enter(t.column));
      take();
      RELMAN_TRY(inner, or_expr());
      RELMAN_CHECK(expect(TokenKind::rparen, "expected ')'"));
      --depth_;
      return std::move(inner);
    }
    if (is_keyword(t, "any")) {
      RELMAN_CHECK(enter(t.column));
      take();
      RELMAN_TRY(path, field("expected a field name after 'any'"));
      RELMAN_CHECK(expect(TokenKind::lparen, "expected '(' after the field of 'any'"));
      RELMAN_TRY(body, or_expr());
      RELMAN_CHECK(expect(TokenKind::rparen, "expected ')'"));
      --depth_;
      return make(Any{std::move(path), std::move(body)});
    }
    return predicate();
  }

  Result<void> expect(TokenKind kind, const std::string& message) {
    if (peek().kind != kind) return fail(error_here(message));
    take();
    return ok();
  }

  Result<Path> field(const std::string& message) {
    const Token& t = peek();
    if (t.kind != TokenKind::word || is_any_keyword(t)) return fail(error_here(message));
    take();
    return t.parts;
  }

  Result<NodePtr> predicate() {
    RELMAN_TRY(path, field("expected a condition (a field name, 'not', 'any' or '(')"));
    const Token& op = peek();
    if (auto cmp = compare_op(op.kind)) {
      take();
      RELMAN_TRY(lit, value());
      bool ordering = *cmp != CompareOp::eq && *cmp != CompareOp::ne;
      if (ordering && std::holds_alternative<bool>(lit.value)) {
        return fail(syntax_error(op.column, "'" + op.text + "' needs a number or a string"));
      }
      return make(Compare{std::move(path), *cmp, std::move(lit)});
    }
    if (is_keyword(op, "in")) {
      take();
      RELMAN_CHECK(expect(TokenKind::lbracket, "expected '[' after 'in'"));
      In node{std::move(path), {}};
      for (;;) {
        std::size_t column = peek().column;
        RELMAN_TRY(lit, plain_value());
        if (node.list.size() == kMaxListItems) {
          return fail(syntax_error(
              column, "a list has more than " + std::to_string(kMaxListItems) + " values"));
        }
        node.list.push_back(std::move(lit));
        if (peek().kind == TokenKind::rbracket) break;
        RELMAN_CHECK(expect(TokenKind::comma, "expected ',' or ']'"));
      }
      take();
      return make(std::move(node));
    }
    if (is_keyword(op, "contains")) {
      take();
      RELMAN_TRY(lit, plain_value());
      return make(Contains{std::move(path), std::move(lit)});
    }
    if (is_keyword(op, "like")) {
      take();
      if (peek().kind != TokenKind::string) {
        return fail(error_here("expected a string pattern after 'like'"));
      }
      return make(Like{std::move(path), take().text});
    }
    if (is_keyword(op, "exists")) {
      take();
      return make(Exists{std::move(path)});
    }
    return fail(
        error_here("expected an operator (==, !=, <, <=, >, >=, in, contains, like or exists)"));
  }

  // A value where a semver literal makes no sense (in, contains).
  Result<Literal> plain_value() {
    if (is_keyword(peek(), "semver")) {
      return fail(error_here("expected a string, a number, true or false"));
    }
    return value();
  }

  Result<Literal> value() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::string:
        take();
        return Literal{t.text, std::nullopt};
      case TokenKind::integer:
        take();
        return Literal{t.integer, std::nullopt};
      case TokenKind::decimal:
        take();
        return Literal{t.decimal, std::nullopt};
      default:
        break;
    }
    if (is_keyword(t, "true") || is_keyword(t, "false")) {
      take();
      return Literal{t.text == "true", std::nullopt};
    }
    if (is_keyword(t, "semver")) {
      take();
      const Token& s = peek();
      if (s.kind != TokenKind::string) {
        return fail(error_here("expected a version string after 'semver'"));
      }
      auto version = packaging::parse_version(s.text);
      if (!version) {
        return fail(syntax_error(s.column, "not a semantic version: " + version.error().message));
      }
      take();
      return Literal{s.text, std::move(*version)};
    }
    return fail(error_here("expected a value (a string, a number, true, false or semver \"...\")"));
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace

Result<Query> parse_query(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return fail("query.too_long",
                "a query is at most " + std::to_string(kMaxQueryBytes) + " bytes, this one has " +
                    std::to_string(text.size()),
                "query");
  }
  RELMAN_TRY(tokens, tokenize(text));
  Parser parser(std::move(tokens));
  RELMAN_TRY(root, parser.query());
  return Query(std::shared_ptr<const Node>(std::move(root)), std::string(text));
}

}  // namespace relman::controller::query
