// Canonical text and field listing of a parsed query.
#include <charconv>
#include <set>

#include "controller/query/query.hpp"

namespace relman::controller::query {
namespace {

std::string join(const Path& path) {
  std::string s;
  for (const auto& part : path) {
    if (!s.empty()) s += '.';
    s += part;
  }
  return s;
}

std::string quote(const std::string& text) {
  std::string s = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  return s + '"';
}

std::string literal_text(const Literal& lit) {
  if (const auto* s = std::get_if<std::string>(&lit.value)) {
    return lit.semver ? "semver " + quote(*s) : quote(*s);
  }
  if (const auto* i = std::get_if<std::int64_t>(&lit.value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&lit.value)) return *b ? "true" : "false";
  // Shortest text that reads back as the same double, without an exponent (the lexer has none).
  char buf[400];
  auto r =
      std::to_chars(buf, buf + sizeof buf, std::get<double>(lit.value), std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

std::string_view op_text(CompareOp op) {
  switch (op) {
    case CompareOp::eq:
      return "==";
    case CompareOp::ne:
      return "!=";
    case CompareOp::lt:
      return "<";
    case CompareOp::le:
      return "<=";
    case CompareOp::gt:
      return ">";
    default:
      return ">=";
  }
}

std::string print(const Node& node);

std::string print_terms(const std::vector<NodePtr>& terms, std::string_view word) {
  std::string s = "(";
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) s += " " + std::string(word) + " ";
    s += print(*terms[i]);
  }
  return s + ")";
}

struct Printer {
  std::string operator()(const And& n) const { return print_terms(n.terms, "and"); }
  std::string operator()(const Or& n) const { return print_terms(n.terms, "or"); }
  std::string operator()(const Not& n) const { return "not " + print(*n.operand); }
  std::string operator()(const Compare& n) const {
    return join(n.path) + " " + std::string(op_text(n.op)) + " " + literal_text(n.literal);
  }
  std::string operator()(const In& n) const {
    std::string s = join(n.path) + " in [";
    for (std::size_t i = 0; i < n.list.size(); ++i) {
      if (i > 0) s += ", ";
      s += literal_text(n.list[i]);
    }
    return s + "]";
  }
  std::string operator()(const Contains& n) const {
    return join(n.path) + " contains " + literal_text(n.literal);
  }
  std::string operator()(const Like& n) const { return join(n.path) + " like " + quote(n.pattern); }
  std::string operator()(const Exists& n) const { return join(n.path) + " exists"; }
  std::string operator()(const Any& n) const {
    // An and/or body prints its own parentheses.
    bool grouped =
        std::holds_alternative<And>(n.body->kind) || std::holds_alternative<Or>(n.body->kind);
    std::string body = print(*n.body);
    return "any " + join(n.path) + (grouped ? " " + body : " (" + body + ")");
  }
};

std::string print(const Node& node) { return std::visit(Printer{}, node.kind); }

void collect(const Node& node, const std::string& prefix, std::set<std::string>& out) {
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, And> || std::is_same_v<T, Or>) {
          for (const auto& t : n.terms) collect(*t, prefix, out);
        } else if constexpr (std::is_same_v<T, Not>) {
          collect(*n.operand, prefix, out);
        } else if constexpr (std::is_same_v<T, Any>) {
          std::string array = prefix + join(n.path);
          out.insert(array);
          collect(*n.body, array + "[].", out);
        } else {
          out.insert(prefix + join(n.path));
        }
      },
      node.kind);
}

}  // namespace

std::string canonical_text(const Query& query) { return print(query.root()); }

std::vector<std::string> referenced_fields(const Query& query) {
  std::set<std::string> fields;
  collect(query.root(), "", fields);
  return {fields.begin(), fields.end()};
}

}  // namespace relman::controller::query
