// traceryd: a Tracery node. Usage: traceryd --config FILE
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "api.h"
#include "config.h"
#include "http_server.h"
#include "node.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: traceryd --config FILE\n\n"
               "Runs a Tracery node: its ledger, consensus and HTTP API as the configuration\n"
               "file says (docs/formats/node-config.md). SIGTERM or SIGINT stops it cleanly.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      Usage();
      return 0;
    } else {
      std::fprintf(stderr, "traceryd: unknown argument '%s'\n", argv[i]);
      Usage();
      return 2;
    }
  }
  if (config_path.empty()) {
    Usage();
    return 2;
  }
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = tracery::node::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "traceryd: %s\n", config.status().ToString().c_str());
    return 2;
  }
  auto node = tracery::node::Node::Open(*config);
  if (!node.ok()) {
    std::fprintf(stderr, "traceryd: %s\n", node.status().ToString().c_str());
    return 1;
  }
  (*node)->Start();
  tracery::node::Api api(node->get());
  auto server = tracery::node::HttpServer::Start(&api, config->api_host, config->api_port,
                                                 config->max_body_bytes, config->max_connections);
  if (!server.ok()) {
    std::fprintf(stderr, "traceryd: %s\n", server.status().ToString().c_str());
    (*node)->Stop();
    return 1;
  }
  const auto head = (*node)->ledger().head();
  std::fprintf(stderr, "traceryd: node %s (org %s) serving http://%s:%u at height %llu\n",
               config->node_id.c_str(), (*node)->org().c_str(), config->api_host.c_str(),
               static_cast<unsigned>((*server)->port()),
               static_cast<unsigned long long>(head.height));
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "traceryd: %s received, stopping\n", strsignal(sig));
  (*server)->Stop();
  (*node)->Stop();
  std::fprintf(stderr, "traceryd: stopped at height %llu\n",
               static_cast<unsigned long long>((*node)->ledger().head().height));
  return 0;
}
