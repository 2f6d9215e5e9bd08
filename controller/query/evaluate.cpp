// Evaluation of a parsed query against a JSON document. Never fails and never throws: a missing
// field, a JSON null or a value of another type than the literal makes a condition false.
#include <limits>

#include "controller/query/query.hpp"
#include "packaging/deb_version.hpp"

namespace relman::controller::query {
namespace {

using nlohmann::json;

int sign(auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The value at `path`, or nullptr when a part is missing, the path runs through something that
// is not an object (or an array indexed by a number), or the value is null.
const json* lookup(const json& root, const Path& path) {
  const json* cur = &root;
  for (const auto& part : path) {
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && all_digits(part)) {
      auto index = static_cast<std::size_t>(std::stoul(part));
      if (index >= cur->size()) return nullptr;
      cur = &(*cur)[index];
    } else {
      return nullptr;
    }
  }
  return cur->is_null() ? nullptr : cur;
}

std::optional<int> compare_numbers(const json& v, const Literal& lit) {
  if (!v.is_number()) return std::nullopt;
  if (const auto* l = std::get_if<std::int64_t>(&lit.value)) {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return 1;
      return sign(static_cast<std::int64_t>(u), *l);
    }
    if (v.is_number_integer()) return sign(v.get<std::int64_t>(), *l);
    return sign(v.get<double>(), static_cast<double>(*l));
  }
  if (const auto* d = std::get_if<double>(&lit.value)) return sign(v.get<double>(), *d);
  return std::nullopt;
}

// <0, 0, >0 when the value and the literal can be ordered: two numbers, two strings (Debian
// version order), or a string that parses as a semantic version against a semver literal.
std::optional<int> order(const json& v, const Literal& lit) {
  if (lit.semver) {
    if (!v.is_string()) return std::nullopt;
    auto version = packaging::parse_version(v.get_ref<const std::string&>());
    if (!version) return std::nullopt;
    return packaging::compare_versions(*version, *lit.semver);
  }
  if (const auto* s = std::get_if<std::string>(&lit.value)) {
    if (!v.is_string()) return std::nullopt;
    return packaging::compare_deb_versions(v.get_ref<const std::string&>(), *s);
  }
  return compare_numbers(v, lit);
}

bool equal(const json& v, const Literal& lit) {
  if (lit.semver) return order(v, lit) == 0;
  if (const auto* s = std::get_if<std::string>(&lit.value)) {
    return v.is_string() && v.get_ref<const std::string&>() == *s;
  }
  if (const auto* b = std::get_if<bool>(&lit.value)) return v.is_boolean() && v.get<bool>() == *b;
  return compare_numbers(v, lit) == 0;
}

bool compare(const json& v, CompareOp op, const Literal& lit) {
  if (op == CompareOp::eq) return equal(v, lit);
  if (op == CompareOp::ne) return !equal(v, lit);
  auto c = order(v, lit);
  if (!c) return false;
  switch (op) {
    case CompareOp::lt:
      return *c < 0;
    case CompareOp::le:
      return *c <= 0;
    case CompareOp::gt:
      return *c > 0;
    default:
      return *c >= 0;
  }
}

// Glob match over bytes: '*' any run (also empty), '?' one byte, '\x' the byte x. Greedy with
// one backtrack point, so at most O(pattern * text) steps.
bool glob_match(std::string_view p, std::string_view s) {
  constexpr auto npos = std::string_view::npos;
  std::size_t pi = 0, si = 0, star = npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
      continue;
    }
    if (pi < p.size()) {
      char pc = p[pi];
      std::size_t width = 1;
      bool quoted = false;
      if (pc == '\\' && pi + 1 < p.size()) {
        pc = p[pi + 1];
        width = 2;
        quoted = true;
      }
      if ((pc == '?' && !quoted) || pc == s[si]) {
        pi += width;
        ++si;
        continue;
      }
    }
    if (star == npos) return false;
    pi = star + 1;
    si = ++mark;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool eval(const Node& node, const json& doc);

struct Evaluator {
  const json& doc;

  bool operator()(const And& n) const {
    for (const auto& t : n.terms) {
      if (!eval(*t, doc)) return false;
    }
    return true;
  }
  bool operator()(const Or& n) const {
    for (const auto& t : n.terms) {
      if (eval(*t, doc)) return true;
    }
    return false;
  }
  bool operator()(const Not& n) const { return !eval(*n.operand, doc); }
  bool operator()(const Compare& n) const {
    const json* v = lookup(doc, n.path);
    return v && compare(*v, n.op, n.literal);
  }
  bool operator()(const In& n) const {
    const json* v = lookup(doc, n.path);
    if (!v) return false;
    for (const auto& lit : n.list) {
      if (equal(*v, lit)) return true;
    }
    return false;
  }
  bool operator()(const Contains& n) const {
    const json* v = lookup(doc, n.path);
    if (!v) return false;
    if (v->is_array()) {
      for (const auto& e : *v) {
        if (equal(e, n.literal)) return true;
      }
      return false;
    }
    const auto* needle = std::get_if<std::string>(&n.literal.value);
    return needle && v->is_string() &&
           v->get_ref<const std::string&>().find(*needle) != std::string::npos;
  }
  bool operator()(const Like& n) const {
    const json* v = lookup(doc, n.path);
    return v && v->is_string() && glob_match(n.pattern, v->get_ref<const std::string&>());
  }
  bool operator()(const Exists& n) const { return lookup(doc, n.path) != nullptr; }
  bool operator()(const Any& n) const {
    const json* v = lookup(doc, n.path);
    if (!v || !v->is_array()) return false;
    for (const auto& e : *v) {
      if (eval(*n.body, e)) return true;
    }
    return false;
  }
};

bool eval(const Node& node, const json& doc) { return std::visit(Evaluator{doc}, node.kind); }

}  // namespace

bool matches(const Query& query, const nlohmann::json& document) {
  return eval(query.root(), document);
}

}  // namespace relman::controller::query
