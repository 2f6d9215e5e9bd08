#include "controller/store/sql/pool.hpp"

#include <algorithm>

namespace relman::controller::sql {

Result<std::unique_ptr<Pool>> Pool::open(Factory factory, std::size_t size,
                                         std::chrono::milliseconds wait) {
  std::unique_ptr<Pool> pool(new Pool(std::move(factory), std::max<std::size_t>(size, 1), wait));
  RELMAN_TRY(first, pool->factory_());
  pool->dialect_ = first->dialect();
  pool->idle_.push_back(std::move(first));
  pool->open_ = 1;
  return pool;
}

Result<AdvisoryLock> AdvisoryLock::take(Connection& c, std::int64_t key) {
  if (c.dialect() != Dialect::postgresql) return AdvisoryLock(nullptr, key);
  RELMAN_TRY(st, c.prepare("SELECT pg_advisory_lock(?)"));
  st.bind(1, key);
  RELMAN_CHECK(st.step());
  return AdvisoryLock(&c, key);
}

AdvisoryLock::~AdvisoryLock() {
  if (!c_) return;
  // A failure leaves the lock to the session, which ends with the connection.
  auto st = c_->prepare("SELECT pg_advisory_unlock(?)");
  if (!st) return;
  st->bind(1, key_);
  (void)st->step();
}

Pool::Lease::~Lease() {
  if (c_) pool_->give_back(std::move(c_));
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mu_);
    if (c->usable()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;  // dropped; the next acquire() opens a fresh one
    }
  }
  cv_.notify_one();
}

Result<Pool::Lease> Pool::acquire() {
  std::unique_lock lock(mu_);
  bool free = cv_.wait_for(lock, wait_, [&] { return !idle_.empty() || open_ < size_; });
  if (!free) {
    return fail("store.busy", "every database connection stayed busy for " +
                                  std::to_string(wait_.count()) + " ms");
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  auto c = factory_();
  if (!c) {
    {
      std::lock_guard relock(mu_);
      --open_;
    }
    cv_.notify_one();
    return fail(std::move(c.error()));
  }
  return Lease(this, std::move(*c));
}

}  // namespace relman::controller::sql
