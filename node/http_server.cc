#include "http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace tracery::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Api* api;
  size_t max_body_bytes;
  size_t max_connections;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::shared_ptr<tcp::socket>> open;  // guarded by mu
  std::map<uint64_t, std::thread> threads;                // guarded by mu
  std::vector<std::thread> finished;                      // guarded by mu
  uint64_t next_id = 0;                                   // guarded by mu

  void AcceptLoop();
  void Serve(uint64_t id, std::shared_ptr<tcp::socket> socket);
  void ReapFinished();
};

namespace {

http::response<http::string_body> ToBeast(const HttpResponse& r, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "traceryd");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

}  // namespace

void HttpServer::Impl::ReapFinished() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu);
    done.swap(finished);
  }
  for (std::thread& t : done) t.join();
}

void HttpServer::Impl::AcceptLoop() {
  while (!stopping.load()) {
    auto socket = std::make_shared<tcp::socket>(io);
    beast::error_code ec;
    acceptor.accept(*socket, ec);
    if (stopping.load()) break;
    if (ec) continue;
    ReapFinished();
    socket->set_option(tcp::no_delay(true), ec);
    std::unique_lock lock(mu);
    if (open.size() >= max_connections) {
      lock.unlock();
      HttpResponse busy = Problem(503, "overloaded", "Too many connections",
                                  "the node serves at most " + std::to_string(max_connections) +
                                      " connections at once");
      auto res = ToBeast(busy, 11, false);
      http::write(*socket, res, ec);
      socket->shutdown(tcp::socket::shutdown_both, ec);
      continue;
    }
    const uint64_t id = next_id++;
    open[id] = socket;
    threads[id] = std::thread([this, id, socket] { Serve(id, socket); });
  }
}

void HttpServer::Impl::Serve(uint64_t id, std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!stopping.load()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    parser.header_limit(16 * 1024);
    http::read(*socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::error::bad_descriptor) {
      break;
    }
    if (ec) {
      HttpResponse bad = ec == http::error::body_limit
                             ? Problem(413, "too-large", "Request body too large",
                                       "the body limit is " + std::to_string(max_body_bytes) +
                                           " bytes")
                             : Problem(400, "bad-http", "Malformed HTTP request", ec.message());
      auto res = ToBeast(bad, 11, false);
      http::write(*socket, res, ec);
      // Lingering close: stop sending, then drain what the client is still sending (bounded)
      // so that it can finish its write and read this answer instead of a reset.
      socket->shutdown(tcp::socket::shutdown_send, ec);
      timeval tv{1, 0};
      ::setsockopt(socket->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::vector<char> sink(64 * 1024);
      size_t drained = 0;
      while (!ec && drained < (64u << 20)) drained += socket->read_some(asio::buffer(sink), ec);
      break;
    }
    auto& req = parser.get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.idempotency_key = std::string(req["Idempotency-Key"]);
    request.content_type = std::string(req[http::field::content_type]);
    request.capture_error_behaviour = std::string(req["GS1-Capture-Error-Behaviour"]);
    request.body = std::move(req.body());
    HttpResponse response = api->Handle(request);
    const bool keep_alive = req.keep_alive() && !stopping.load();
    auto res = ToBeast(response, req.version(), keep_alive);
    http::write(*socket, res, ec);
    if (ec || !keep_alive) break;
  }
  socket->shutdown(tcp::socket::shutdown_both, ec);
  socket->close(ec);
  std::lock_guard lock(mu);
  open.erase(id);
  auto it = threads.find(id);
  if (it != threads.end()) {
    finished.push_back(std::move(it->second));
    threads.erase(it);
  }
  cv.notify_all();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(Api* api, const std::string& host,
                                                      uint16_t port, size_t max_body_bytes,
                                                      size_t max_connections) {
  auto impl = std::make_unique<Impl>();
  impl->api = api;
  impl->max_body_bytes = max_body_bytes;
  impl->max_connections = max_connections;
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("api listen address '" + host + "': " + ec.message());
  tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  beast::error_code ec;
  // shutdown(2) on a listening socket wakes a blocked accept(2) on Linux; close does not.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  std::unique_lock lock(impl_->mu);
  for (auto& [id, socket] : impl_->open) socket->shutdown(tcp::socket::shutdown_both, ec);
  impl_->cv.wait(lock, [&] { return impl_->threads.empty(); });
  lock.unlock();
  impl_->ReapFinished();
}

}  // namespace tracery::node
