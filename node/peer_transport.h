// Peer links between traceryd processes (docs/formats/peer.md).
//
// Each node dials every other node it talks to and sends on that outbound link only; it
// receives on the links the others dialled. A link starts with a handshake in which each side
// proves it holds the node key the genesis names for it, by signing both node ids and both
// fresh nonces (purpose tracery/v1/handshake): hello (dialer), hello with signature
// (listener), auth (dialer), accept (listener). Frames are a 4-byte big-endian length and a
// PeerFrame; a frame above the size limit ends the link.
//
// Sending never blocks: each peer has a bounded queue (messages and bytes). When it is full
// the frame is dropped and counted; consensus retransmits, so memory stays bounded under a slow
// or dead peer. A broken outbound link is redialled with exponential backoff.
//
// Thread-safety: Send and the accessors may be called from any thread. One internal thread
// runs all socket work and calls `on_frame` (which must not block for long).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/ledger/genesis.h"
#include "tracery/v1/peer.pb.h"

namespace tracery::node {

struct PeerTransportOptions {
  std::string self;
  std::string listen;                        // host:port to accept peer links on
  // node id -> host:port to dial; links are accepted from these nodes only.
  std::map<std::string, std::string> peers;
  const ledger::Genesis* genesis = nullptr;  // names every peer's key; outlives the transport
  const PrivateKey* key = nullptr;           // this node's key; outlives the transport
  size_t max_queue_frames = 4096;            // per peer
  size_t max_queue_bytes = 256u << 20;       // per peer
  size_t max_frame_bytes = 80u << 20;        // above a block's size limit
  int handshake_timeout_ms = 5000;
  int max_backoff_ms = 2000;
  // Called on the transport thread for every frame of an authenticated inbound link.
  std::function<void(const std::string& from, v1::PeerFrame frame)> on_frame;
};

struct PeerStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t frames_dropped = 0;  // queue full, or unknown peer
  uint64_t handshake_failures = 0;
  uint64_t links_opened = 0;
};

class PeerTransport {
 public:
  // Binds the listening socket (port 0 picks one) and starts dialling the peers.
  static Result<std::unique_ptr<PeerTransport>> Start(PeerTransportOptions options);
  ~PeerTransport();  // closes every link and joins the thread

  // Queues a frame for `to`; false when the frame was dropped (queue full, unknown peer).
  bool Send(const std::string& to, const v1::PeerFrame& frame);
  // True while the outbound link to `peer` is authenticated.
  bool Connected(const std::string& peer) const;
  uint16_t listen_port() const;
  PeerStats stats() const;

  struct Impl;

 private:
  explicit PeerTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The bytes each side of a handshake signs (purpose tracery/v1/handshake): a role byte ('D'
// for the dialer, 'L' for the listener), both node ids (each with a 4-byte length) and both
// nonces, the dialer's first.
std::string HandshakePayload(char role, const std::string& dialer, const std::string& listener,
                             const std::string& dialer_nonce, const std::string& listener_nonce);

}  // namespace tracery::node
