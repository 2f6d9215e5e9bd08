// A small pool of connections to one database, and the two ways store code uses it:
// sql::read (one connection, autocommit) and sql::write (one transaction, retried whole on a
// serialization conflict). SQLite runs with a pool of one: one writer at a time is all SQLite
// allows anyway. PostgreSQL gets several, so that a slow query does not stall every request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "controller/store/sql/connection.hpp"

namespace relman::controller::sql {

class Pool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  // Opens the first connection now (so a bad database fails at start); the others as needed,
  // up to `size`. acquire() waits at most `wait` for a free one (then store.busy).
  static Result<std::unique_ptr<Pool>> open(Factory factory, std::size_t size,
                                            std::chrono::milliseconds wait);

  // A connection lent to one user; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *c_; }
    Connection* operator->() const { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  Result<Lease> acquire();
  Dialect dialect() const { return dialect_; }

 private:
  Pool(Factory factory, std::size_t size, std::chrono::milliseconds wait)
      : factory_(std::move(factory)), size_(size), wait_(wait) {}
  void give_back(std::unique_ptr<Connection> c);

  Factory factory_;
  std::size_t size_;
  std::chrono::milliseconds wait_;
  Dialect dialect_ = Dialect::sqlite;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // connections in existence, idle or lent
};

// The Result<T> that `f(Connection&)` returns.
template <class F>
using ResultOf = std::invoke_result_t<F&, Connection&>;

// Runs `f` on one connection without a transaction (each statement commits by itself): for
// reads.
template <class F>
ResultOf<F> read(Pool& pool, F&& f) {
  auto lease = pool.acquire();
  if (!lease) return fail(std::move(lease.error()));
  return f(**lease);
}

// How often write() runs a transaction that lost a serialization conflict (PostgreSQL).
inline constexpr int kWriteAttempts = 5;

// A PostgreSQL session advisory lock held by one connection until destroyed (SQLite: nothing;
// it has one writer anyway). Taken before a transaction begins, it keeps the transactions it
// serializes from overlapping at all, so serializable isolation sees no conflict between them
// and none has to run again.
class AdvisoryLock {
 public:
  // Waits for the lock. Errors: the connection's.
  static Result<AdvisoryLock> take(Connection& c, std::int64_t key);
  AdvisoryLock(AdvisoryLock&& other) noexcept : c_(other.c_), key_(other.key_) {
    other.c_ = nullptr;
  }
  AdvisoryLock& operator=(AdvisoryLock&&) = delete;
  ~AdvisoryLock();

 private:
  AdvisoryLock(Connection* c, std::int64_t key) : c_(c), key_(key) {}
  Connection* c_;  // null: nothing held
  std::int64_t key_;
};

// Runs `f` in one transaction and commits it if `f` succeeded; rolls back otherwise. A
// store.conflict (another transaction won) runs `f` again from the start, so `f` must build its
// result from what it reads, not from what an earlier attempt left behind. With `exclusive`, each
// attempt holds that advisory lock (AdvisoryLock) from before it begins until it ended.
template <class F>
ResultOf<F> write(Pool& pool, F&& f, std::optional<std::int64_t> exclusive = std::nullopt) {
  for (int attempt = 1;; ++attempt) {
    auto lease = pool.acquire();
    if (!lease) return fail(std::move(lease.error()));
    std::optional<AdvisoryLock> held;
    if (exclusive) {
      auto lock = AdvisoryLock::take(**lease, *exclusive);
      if (!lock) return fail(std::move(lock.error()));
      held.emplace(std::move(*lock));
    }
    auto tx = Transaction::begin(**lease);
    if (!tx) return fail(std::move(tx.error()));
    auto result = f(**lease);
    Error error;
    if (result) {
      auto committed = tx->commit();
      if (committed) return result;
      error = std::move(committed.error());
    } else {
      error = std::move(result.error());
    }
    if (error.code != "store.conflict" || attempt >= kWriteAttempts) return fail(std::move(error));
  }
}

}  // namespace relman::controller::sql
