// Multi-row statements for the store's bulk work (inventory reconciliation): one statement
// carries up to kBatchRows rows of parameters, the full-size statement is prepared once per
// call and reused, so N rows cost about N / kBatchRows round trips instead of N.
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/store/sql/connection.hpp"

namespace relman::controller::store_sql {

inline constexpr std::size_t kBatchRows = 100;

// `head` + `group` repeated (joined by ", ") + `tail`; `group` is one row's placeholders, e.g.
// "(?, ?)". bind(st, first_parameter, item) binds one row's values; on_row (optional) sees each
// result row.
template <class T>
Result<void> run_batched(sql::Connection& c, std::string_view head, std::string_view group,
                         std::string_view tail, const std::vector<T>& items,
                         const std::function<int(sql::Statement&, int, const T&)>& bind,
                         const std::function<void(const sql::Statement&)>& on_row = {}) {
  auto text_for = [&](std::size_t n) {
    std::string s(head);
    for (std::size_t i = 0; i < n; ++i) {
      if (i) s += ", ";
      s += group;
    }
    s += tail;
    return s;
  };
  std::optional<sql::Statement> full;
  for (std::size_t start = 0; start < items.size(); start += kBatchRows) {
    const std::size_t n = std::min(kBatchRows, items.size() - start);
    std::optional<sql::Statement> partial;
    sql::Statement* st = nullptr;
    if (n == kBatchRows) {
      if (!full) {
        RELMAN_TRY(prepared, c.prepare(text_for(n)));
        full.emplace(std::move(prepared));
      } else {
        full->reset();
      }
      st = &*full;
    } else {
      RELMAN_TRY(prepared, c.prepare(text_for(n)));
      partial.emplace(std::move(prepared));
      st = &*partial;
    }
    int param = 1;
    for (std::size_t i = start; i < start + n; ++i) param = bind(*st, param, items[i]);
    while (true) {
      RELMAN_TRY(row, st->step());
      if (!row) break;
      if (on_row) on_row(*st);
    }
  }
  return {};
}

}  // namespace relman::controller::store_sql
