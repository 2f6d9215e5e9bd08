// The controller's portable SQL layer: one connection interface with a driver per database
// (SQLite, PostgreSQL). Store code is written once against it, with `?` placeholders, and
// runs on either. The portable-SQL rules are in controller/store/README.md.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/error.hpp"

namespace relman::controller::sql {

enum class Dialect { sqlite, postgresql };

const char* dialect_name(Dialect d);

// What a driver implements for one prepared statement. Store code uses Statement.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind_int64(int index, std::int64_t v) = 0;
  virtual void bind_text(int index, std::string_view v) = 0;
  virtual void bind_null(int index) = 0;
  virtual Result<bool> step() = 0;
  virtual void reset() = 0;
  virtual std::int64_t int64(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t changes() const = 0;
};

// A prepared statement. Parameters are numbered from 1 (`?` counts up; `?N` names N);
// columns from 0. A bind error (say, text with a NUL byte) is reported by the next step().
class Statement {
 public:
  explicit Statement(std::unique_ptr<StatementImpl> impl) : impl_(std::move(impl)) {}

  // Integers and bools (stored as 0/1 in a BIGINT column).
  template <std::integral T>
  Statement& bind(int index, T v) {
    impl_->bind_int64(index, static_cast<std::int64_t>(v));
    return *this;
  }
  Statement& bind(int index, std::string_view v) {
    impl_->bind_text(index, v);
    return *this;
  }
  Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Statement& bind_null(int index) {
    impl_->bind_null(index);
    return *this;
  }

  // true: a row is available; false: done.
  Result<bool> step() { return impl_->step(); }
  // Runs to completion (for statements whose rows do not matter).
  Result<void> run();
  // Makes the statement runnable again with its current bindings (to insert in a loop).
  void reset() { impl_->reset(); }

  std::int64_t int64(int col) const { return impl_->int64(col); }
  std::string text(int col) const { return impl_->text(col); }
  bool is_null(int col) const { return impl_->is_null(col); }
  // Rows inserted, updated or deleted by the last run of this statement.
  std::int64_t changes() const { return impl_->changes(); }

 private:
  std::unique_ptr<StatementImpl> impl_;
};

// One database connection. Not thread-safe: one user at a time (sql::Pool hands them out).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One statement with `?` / `?N` placeholders.
  virtual Result<Statement> prepare(std::string_view sql) = 0;
  // Fixed SQL without parameters, possibly several statements (migrations, PRAGMAs).
  virtual Result<void> exec(std::string_view sql) = 0;
  // Starts a write transaction that is serializable with every other one (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: SERIALIZABLE, so a conflict fails with store.conflict and the
  // whole transaction is retried by sql::write_transaction).
  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;
  // false when the connection is broken beyond repair; a pool then reconnects.
  virtual bool usable() = 0;
};

// Rolls back unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& c);
  Transaction(Transaction&& o) noexcept : c_(o.c_), done_(o.done_) { o.done_ = true; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Connection& c) : c_(&c) {}
  Connection* c_;
  bool done_ = false;
};

}  // namespace relman::controller::sql
