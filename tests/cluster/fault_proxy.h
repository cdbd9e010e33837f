// A TCP proxy in front of one node's peer listener that cuts links on demand. It learns who
// dialled from the first frame of each link (the dialer's hello names its node id), so a test
// can cut one node off from the others and heal it, in one or both directions.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tracery/core/encoding.h"
#include "tracery/v1/peer.pb.h"

namespace tracery::cluster {

class FaultProxy {
 public:
  FaultProxy(int listen_port, int target_port) : target_port_(target_port) {
    // CLOEXEC everywhere: the test forks nodes, which must not inherit the proxy's sockets
    // (an inherited copy keeps a link open after the proxy closes it).
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = Loopback(listen_port);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      std::abort();
    }
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    accept_thread_.join();
    std::vector<std::thread> links;
    {
      std::lock_guard lock(mu_);
      links.swap(links_);
    }
    for (std::thread& t : links) t.join();
    ::close(listen_fd_);
  }

  // Links from `node` (or from everyone, with "*") are closed and refused until unblocked.
  void Block(const std::string& node) {
    std::lock_guard lock(mu_);
    blocked_.insert(node);
  }
  void Unblock(const std::string& node) {
    std::lock_guard lock(mu_);
    blocked_.erase(node);
  }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return a;
  }
  bool Blocked(const std::string& node) {
    std::lock_guard lock(mu_);
    return blocked_.count(node) > 0 || blocked_.count("*") > 0;
  }
  static bool ReadAll(int fd, char* buf, size_t n) {
    while (n > 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      ssize_t got = ::read(fd, buf, n);
      if (got <= 0) return false;
      buf += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  static bool WriteAll(int fd, const char* buf, size_t n) {
    while (n > 0) {
      ssize_t put = ::write(fd, buf, n);
      if (put <= 0) return false;
      buf += put;
      n -= static_cast<size_t>(put);
    }
    return true;
  }

  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mu_);
      links_.emplace_back([this, fd] { Pump(fd); });
    }
  }

  void Pump(int client) {
    // The dialer's hello: 4-byte length, then a PeerFrame.
    std::string first(4, '\0');
    int server = -1;
    std::string dialer;
    if (ReadAll(client, first.data(), 4)) {
      const uint32_t n = GetBe32(first);
      if (n <= 4096) {
        first.resize(4 + n);
        v1::PeerFrame hello;
        if (ReadAll(client, first.data() + 4, n) && hello.ParseFromString(first.substr(4))) {
          dialer = hello.hello().node_id();
        }
      }
    }
    if (!dialer.empty() && !Blocked(dialer)) {
      server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a = Loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
          !WriteAll(server, first.data(), first.size())) {
        ::close(server);
        server = -1;
      }
    }
    std::vector<char> buf(1 << 16);
    while (server >= 0 && !stop_ && !Blocked(dialer)) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 50) < 0) break;
      bool ok = true;
      for (int k = 0; k < 2 && ok; ++k) {
        if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        ssize_t got = ::read(p[k].fd, buf.data(), buf.size());
        ok = got > 0 && WriteAll(p[1 - k].fd, buf.data(), static_cast<size_t>(got));
      }
      if (!ok) break;
    }
    if (server >= 0) ::close(server);
    ::close(client);
  }

  const int target_port_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::set<std::string> blocked_;   // guarded by mu_
  std::vector<std::thread> links_;  // guarded by mu_
};

}  // namespace tracery::cluster
