// Runs blocking work (SQLite, hashing, file I/O) on the blocking pool and resumes the calling
// coroutine on its own executor: the network threads never block.
#pragma once

#include <type_traits>

#include "protocol/asio.hpp"

namespace relman::controller {

template <class F>
auto run_blocking(asio::thread_pool& pool, F fn) -> awaitable<std::invoke_result_t<F>> {
  using R = std::invoke_result_t<F>;
  // Named, not a temporary in the co_await expression: GCC 12 may destroy those twice.
  auto task = [fn = std::move(fn)]() mutable -> awaitable<R> { co_return fn(); };
  co_return co_await asio::co_spawn(pool.get_executor(), std::move(task), use_awaitable);
}

}  // namespace relman::controller
