// The HTTP/1.1 listener of traceryd (Boost.Beast): one thread per connection up to a limit,
// keep-alive, a body size limit, and a clean shutdown that closes every open connection.
#pragma once

#include <memory>
#include <string>

#include "api.h"
#include "tracery/core/status.h"

namespace tracery::node {

class HttpServer {
 public:
  // Binds host:port (port 0 picks a free port). REQUIRES: api outlives the server.
  static Result<std::unique_ptr<HttpServer>> Start(Api* api, const std::string& host,
                                                    uint16_t port, size_t max_body_bytes,
                                                    size_t max_connections);
  ~HttpServer();
  uint16_t port() const;
  // Stops accepting, closes open connections and joins their threads.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracery::node
