// The one way into Boost.Asio for relman code. Boost 1.74's awaitable.hpp uses std::exchange
// without including <utility>, so it must come first. Beast is NOT included here: Beast
// instantiations live in a few dedicated .cpp files behind plain interfaces (compile cost).
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace relman {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
}  // namespace relman
