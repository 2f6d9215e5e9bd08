// A loopback TCP relay for fault tests: sits between an agent and the controller (TLS passes
// through untouched) and can throttle what flows to the client or cut a connection after a
// number of bytes, counting what it relayed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace relman::test {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port);  // listens on 127.0.0.1, a free port
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // The first connection that carries `bytes` towards the client is closed right there (once;
  // call again to arm another cut).
  void cut_once_after(std::uint64_t bytes) {
    cut_after_ = bytes;
    cut_armed_ = true;
  }
  // At most this many bytes a second towards the client, per connection (0: no limit).
  void throttle(std::uint64_t bytes_per_second) { rate_ = bytes_per_second; }

  std::uint64_t bytes_to_client() const { return to_client_; }
  int connections() const { return connections_; }
  int cuts() const { return cuts_; }

 private:
  void accept_loop();
  void relay(int client);

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> cut_after_{0};
  std::atomic<bool> cut_armed_{false};
  std::atomic<std::uint64_t> rate_{0};
  std::atomic<std::uint64_t> to_client_{0};
  std::atomic<int> connections_{0};
  std::atomic<int> cuts_{0};
  std::mutex mu_;
  std::vector<int> open_fds_;  // shut down at destruction so relays end
  std::vector<std::thread> relays_;
  std::thread acceptor_;
};

}  // namespace relman::test
