#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace relman::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto addr = loopback(0);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 64) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::runtime_error("TcpProxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  (void)!::write(wake_[1], "x", 1);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : relays_) t.join();
  for (int fd : open_fds_) ::close(fd);
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::accept_loop() {
  while (!stop_) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (stop_ || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    std::lock_guard lock(mu_);
    open_fds_.push_back(client);
    relays_.emplace_back([this, client] { relay(client); });
  }
}

void TcpProxy::relay(int client) {
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(target_port_);
  if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::shutdown(client, SHUT_RDWR);
    if (server >= 0) ::close(server);
    return;
  }
  {
    std::lock_guard lock(mu_);
    open_fds_.push_back(server);
  }
  auto started = std::chrono::steady_clock::now();
  std::uint64_t down = 0;  // bytes relayed to the client on this connection
  char buf[16 * 1024];
  bool open = true;
  while (open && !stop_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 500) < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0 || !write_all(server, buf, static_cast<std::size_t>(n))) open = false;
    }
    if (open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::uint64_t rate = rate_;
      std::size_t want =
          rate > 0 ? std::min<std::size_t>(sizeof buf, std::max<std::uint64_t>(rate / 20, 1))
                   : sizeof buf;
      ssize_t n = ::recv(server, buf, want, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      auto len = static_cast<std::uint64_t>(n);
      bool cut = false;
      if (cut_armed_ && down + len >= cut_after_) {
        bool expected = true;
        if (cut_armed_.compare_exchange_strong(expected, false)) {
          len = cut_after_ > down ? cut_after_ - down : 0;
          cut = true;
        }
      }
      if (len > 0 && !write_all(client, buf, static_cast<std::size_t>(len))) open = false;
      down += len;
      to_client_ += len;
      if (cut) {
        ++cuts_;
        open = false;
      }
      if (open && rate > 0) {
        // Sleep until this connection is back under its rate.
        auto due = started + std::chrono::microseconds(down * 1000000 / rate);
        std::this_thread::sleep_until(due);
      }
    }
  }
  // The fds stay open (and listed) until the proxy goes, so no number is reused under it.
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(server, SHUT_RDWR);
}

}  // namespace relman::test
