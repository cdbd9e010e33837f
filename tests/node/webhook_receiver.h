// A webhook receiver for tests: a real HTTP/1.1 server (Boost.Beast) on a loopback port in
// the test process, one request per connection, that records what it receives.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tracery::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Received {
  std::string target;
  std::string id;
  std::string timestamp;
  std::string signature;
  std::string content_type;
  std::string body;
};

// A one-request-per-connection HTTP server. `answer` returns the status to send, 0 to close
// the connection without answering (a receiver that crashed before acknowledging), or -n to
// hang n ms without answering, then close.
class Receiver {
 public:
  explicit Receiver(std::function<int(size_t index)> answer)
      : answer_(std::move(answer)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stopping_ = true;
    beast::error_code ec;
    tcp::socket wake(io_);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/in"; }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      size_t index = 0;
      {
        std::lock_guard lock(mu_);
        index = received_.size();
        received_.push_back({std::string(req.target()), std::string(req["webhook-id"]),
                             std::string(req["webhook-timestamp"]),
                             std::string(req["webhook-signature"]),
                             std::string(req[http::field::content_type]), req.body()});
      }
      const int status = answer_(index);
      if (status < 0) std::this_thread::sleep_for(std::chrono::milliseconds(-status));
      if (status <= 0) continue;  // closes without an answer
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = status >= 300 ? "receiver says no" : "";
      res.keep_alive(false);
      res.prepare_payload();
      http::write(socket, res, ec);
    }
  }

  std::function<int(size_t)> answer_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Received> received_;
  std::thread thread_;
};

// Waits for `done` (a bound so that a broken sender fails the test instead of hanging it).
inline bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace tracery::testing
