#include "controller/store/sql/connection.hpp"

namespace relman::controller::sql {

const char* dialect_name(Dialect d) { return d == Dialect::sqlite ? "sqlite" : "postgresql"; }

Result<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return fail(r.error());
    if (!*r) return ok();
  }
}

Result<Transaction> Transaction::begin(Connection& c) {
  RELMAN_CHECK(c.begin());
  return Transaction(c);
}

Transaction::~Transaction() {
  if (!done_) c_->rollback();
}

Result<void> Transaction::commit() {
  done_ = true;  // a failed COMMIT has ended the transaction too
  auto r = c_->commit();
  if (!r) c_->rollback();
  return r;
}

}  // namespace relman::controller::sql
