// A small blocking HTTP/1.1 client (Boost.Beast) for the CLI, the benchmarks and node-to-node
// calls: one keep-alive connection, reopened when the server closes it. Not thread-safe: use
// one client per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "tracery/core/status.h"

namespace tracery::client {

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class HttpClient {
 public:
  // base_url: "http://host:port" (no TLS yet). timeout_ms bounds connect, send and receive.
  static Result<std::unique_ptr<HttpClient>> Create(const std::string& base_url,
                                                    int64_t timeout_ms = 60000);
  ~HttpClient();

  // headers: extra request headers (e.g. Idempotency-Key). Fails only on transport errors;
  // any HTTP status is a Response.
  Result<Response> Request(const std::string& method, const std::string& target,
                           const std::string& body = "",
                           const std::map<std::string, std::string>& headers = {});
  void set_bearer_token(const std::string& token) { token_ = token; }

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string token_;
};

// "problem title: detail" from a problem+json body, or the body itself.
std::string DescribeError(const Response& response);

}  // namespace tracery::client
