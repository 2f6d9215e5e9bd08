#include "cli/json_view.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace relman::cli {

using nlohmann::json;

std::string printable(std::string s) {
  for (auto& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s;
}

const json* field(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string text(const json& obj, const char* key) {
  const json* v = field(obj, key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return v->get<std::string>().empty() ? "-" : printable(v->get<std::string>());
  if (v->is_boolean()) return v->get<bool>() ? "yes" : "no";
  if (v->is_number()) return v->dump();
  return printable(v->dump());
}

std::optional<std::int64_t> integer(const json& obj, const char* key) {
  const json* v = field(obj, key);
  if (!v || !v->is_number_integer()) return std::nullopt;
  return v->get<std::int64_t>();
}

std::string iso_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string time_text(const json& obj, const char* key) {
  auto t = integer(obj, key);
  return t && *t > 0 ? iso_time(*t) : "-";
}

std::string size_text(const json& obj, const char* key) {
  auto n = integer(obj, key);
  if (!n || *n < 0) return "-";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(*n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

const json& array_of(const json& obj, const char* key) {
  static const json kEmpty = json::array();
  const json* v = field(obj, key);
  return v && v->is_array() ? *v : kEmpty;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent;
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [k, v] : fields) width = std::max(width, k.size());
  for (const auto& [k, v] : fields) {
    std::cout << k << ":" << std::string(width - k.size() + 1, ' ') << v << "\n";
  }
}

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

}  // namespace relman::cli
