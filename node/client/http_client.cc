#include "http_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace tracery::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  std::string port;
  int64_t timeout_ms = 60000;
  asio::io_context io;
  std::unique_ptr<tcp::socket> socket;
  beast::flat_buffer buffer;

  Status Connect() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return Unavailable("cannot resolve " + host + ":" + port + ": " + ec.message());
    socket = std::make_unique<tcp::socket>(io);
    asio::connect(*socket, endpoints, ec);
    if (ec) {
      socket.reset();
      return Unavailable("cannot connect to " + host + ":" + port + ": " + ec.message());
    }
    socket->set_option(tcp::no_delay(true), ec);
    timeval tv{static_cast<time_t>(timeout_ms / 1000),
               static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
    ::setsockopt(socket->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(socket->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    buffer.clear();
    return Status::Ok();
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url,
                                                       int64_t timeout_ms) {
  const std::string scheme = "http://";
  if (base_url.compare(0, scheme.size(), scheme) != 0) {
    return InvalidArgument("node URL must start with http://, got '" + base_url + "'");
  }
  std::string rest = base_url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || rest.find('/') != std::string::npos) {
    return InvalidArgument("node URL must be http://host:port, got '" + base_url + "'");
  }
  auto impl = std::make_unique<Impl>();
  impl->host = rest.substr(0, colon);
  impl->port = rest.substr(colon + 1);
  impl->timeout_ms = timeout_ms;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<Response> HttpClient::Request(const std::string& method, const std::string& target,
                                     const std::string& body,
                                     const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->host + ":" + impl_->port);
  req.set(http::field::user_agent, "tracery");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->socket != nullptr;
    if (!impl_->socket) RETURN_IF_ERROR(impl_->Connect());
    beast::error_code ec;
    http::write(*impl_->socket, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 30);
    if (!ec) http::read(*impl_->socket, impl_->buffer, parser, ec);
    if (ec) {
      impl_->socket.reset();
      // Retry on a fresh connection only what is safe to send twice: a server that closed an
      // idle connection never saw the request, but one that died mid-request may have.
      const bool replayable = method == "GET" || headers.count("Idempotency-Key") != 0;
      if (reused && attempt == 0 && replayable) continue;
      return Unavailable("request " + method + " " + target + " to " + impl_->host + ":" +
                         impl_->port + " failed: " + ec.message());
    }
    auto& res = parser.get();
    Response out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) impl_->socket.reset();
    return out;
  }
  return Unavailable("request failed");
}

std::string DescribeError(const Response& response) {
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("title")) {
    return "HTTP " + std::to_string(response.status) + " " + j.value("title", "") + ": " +
           j.value("detail", "");
  }
  return "HTTP " + std::to_string(response.status) + ": " + response.body;
}

}  // namespace tracery::client
