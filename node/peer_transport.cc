// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
//
#include "peer_transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tracery/core/encoding.h"

namespace tracery::node {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr size_t kNonceBytes = 32;
constexpr size_t kMaxHandshakeFrameBytes = 4096;
constexpr int kFirstBackoffMs = 50;

// A link-ending problem with what the other side sent.
struct LinkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string EncodeFrame(const v1::PeerFrame& frame) {
  std::string out;
  const size_t n = frame.ByteSizeLong();
  out.reserve(4 + n);
  PutBe32(&out, static_cast<uint32_t>(n));
  out.resize(4 + n);
  TRACERY_CHECK(frame.SerializeToArray(out.data() + 4, static_cast<int>(n)));
  return out;
}

awaitable<v1::PeerFrame> ReadFrame(tcp::socket& socket, size_t max_bytes) {
  std::string len(4, '\0');
  co_await asio::async_read(socket, asio::buffer(len.data(), 4), use_awaitable);
  const uint32_t n = GetBe32(len);
  if (n > max_bytes) {
    throw LinkError("frame of " + std::to_string(n) + " bytes is above the limit of " +
                    std::to_string(max_bytes));
  }
  std::string body(n, '\0');
  co_await asio::async_read(socket, asio::buffer(body.data(), n), use_awaitable);
  v1::PeerFrame frame;
  if (!frame.ParseFromString(body)) throw LinkError("frame does not parse as a PeerFrame");
  co_return frame;
}

awaitable<void> WriteFrame(tcp::socket& socket, const v1::PeerFrame& frame) {
  const std::string bytes = EncodeFrame(frame);
  co_await asio::async_write(socket, asio::buffer(bytes), use_awaitable);
}

Result<std::pair<std::string, std::string>> SplitHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return InvalidArgument("address '" + address + "' is not host:port");
  }
  return std::make_pair(address.substr(0, colon), address.substr(colon + 1));
}

// Closes `socket` unless cancelled before `ms` pass: a deadline for a handshake or a connect.
std::shared_ptr<asio::steady_timer> Deadline(asio::io_context& io,
                                             const std::shared_ptr<tcp::socket>& socket, int ms) {
  auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(ms));
  timer->async_wait([socket](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the work finished in time
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  return timer;
}

}  // namespace

std::string HandshakePayload(char role, const std::string& dialer, const std::string& listener,
                             const std::string& dialer_nonce, const std::string& listener_nonce) {
  std::string out(1, role);
  PutBe32(&out, static_cast<uint32_t>(dialer.size()));
  out += dialer;
  PutBe32(&out, static_cast<uint32_t>(listener.size()));
  out += listener;
  out += dialer_nonce;
  out += listener_nonce;
  return out;
}

struct Outbound {
  std::string id;
  std::string address;
  std::deque<std::string> queue;  // encoded frames; guarded by Impl::mu
  size_t queue_bytes = 0;         // guarded by Impl::mu
  bool connected = false;         // guarded by Impl::mu
  std::unique_ptr<asio::steady_timer> wake;  // transport thread only
};

struct PeerTransport::Impl {
  PeerTransportOptions o;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  mutable std::mutex mu;
  std::map<std::string, Outbound> out;  // keys fixed at Start
  PeerStats stats;                      // guarded by mu

  // The current authenticated inbound link of each peer (transport thread only).
  std::map<std::string, std::shared_ptr<tcp::socket>> inbound;

  const PublicKey* KeyOf(const std::string& id) const {
    const ledger::NodeInfo* n = o.genesis->FindNode(id);
    return n == nullptr ? nullptr : &n->key;
  }
  void CountHandshakeFailure(const std::string& who, const std::string& why) {
    {
      std::lock_guard lock(mu);
      ++stats.handshake_failures;
    }
    std::fprintf(stderr, "traceryd: peer link %s refused: %s\n", who.c_str(), why.c_str());
  }

  awaitable<void> AcceptLoop();
  awaitable<void> ServeInbound(std::shared_ptr<tcp::socket> socket);
  awaitable<void> DialLoop(Outbound* peer);
  awaitable<void> DialerHandshake(tcp::socket& socket, const std::string& peer);
  awaitable<void> WriteLoop(tcp::socket& socket, Outbound* peer);
};

awaitable<void> PeerTransport::Impl::AcceptLoop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(io);
    boost::system::error_code ec;
    co_await acceptor.async_accept(*socket, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of descriptors for a moment: do not spin
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      boost::system::error_code ignored;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ignored));
      continue;
    }
    asio::co_spawn(io, ServeInbound(std::move(socket)), asio::detached);
  }
}

awaitable<void> PeerTransport::Impl::ServeInbound(std::shared_ptr<tcp::socket> socket) {
  std::string peer = "(unauthenticated)";
  bool authenticated = false;
  try {
    socket->set_option(tcp::no_delay(true));
    auto deadline = Deadline(io, socket, o.handshake_timeout_ms);
    v1::PeerFrame first = co_await ReadFrame(*socket, kMaxHandshakeFrameBytes);
    if (!first.has_hello()) throw LinkError("the first frame is not a hello");
    const v1::PeerHello& hello = first.hello();
    if (hello.schema_version() != 1) throw LinkError("unsupported handshake schema version");
    if (hello.genesis_hash() != HashBytes(o.genesis->hash())) {
      throw LinkError("the dialer belongs to another network (genesis hash differs)");
    }
    const PublicKey* key = KeyOf(hello.node_id());
    if (key == nullptr || hello.node_id() == o.self || out.count(hello.node_id()) == 0) {
      throw LinkError("'" + hello.node_id() + "' is not one of this node's peers in the genesis");
    }
    peer = hello.node_id();
    if (hello.target_id() != o.self) throw LinkError("it dialled '" + hello.target_id() + "'");
    if (hello.nonce().size() != kNonceBytes) throw LinkError("nonce is not 32 bytes");
    const std::string my_nonce = RandomBytes(kNonceBytes);
    v1::PeerFrame reply;
    v1::PeerHello* mine = reply.mutable_hello();
    mine->set_schema_version(1);
    mine->set_genesis_hash(HashBytes(o.genesis->hash()));
    mine->set_node_id(o.self);
    mine->set_nonce(my_nonce);
    mine->set_signature(o.key->Sign(
        Purpose::kHandshake, o.genesis->hash(),
        HandshakePayload('L', hello.node_id(), o.self, hello.nonce(), my_nonce)));
    co_await WriteFrame(*socket, reply);
    v1::PeerFrame auth = co_await ReadFrame(*socket, kMaxHandshakeFrameBytes);
    if (!auth.has_auth()) throw LinkError("the second frame is not an auth");
    if (!key->Verify(Purpose::kHandshake, o.genesis->hash(),
                     HandshakePayload('D', hello.node_id(), o.self, hello.nonce(), my_nonce),
                     auth.auth().signature())) {
      throw LinkError("its handshake signature does not verify with its genesis key");
    }
    v1::PeerFrame accept;
    accept.mutable_accept();
    co_await WriteFrame(*socket, accept);
    deadline->cancel();
    authenticated = true;
    std::shared_ptr<tcp::socket>& slot = inbound[peer];
    if (slot != nullptr) {  // a newer link replaces an older one of the same peer
      boost::system::error_code ignored;
      slot->close(ignored);
    }
    slot = socket;
    for (;;) {
      v1::PeerFrame frame = co_await ReadFrame(*socket, o.max_frame_bytes);
      if (frame.has_hello() || frame.has_auth() || frame.has_accept()) {
        throw LinkError("a handshake frame after the handshake");
      }
      {
        std::lock_guard lock(mu);
        ++stats.frames_received;
      }
      o.on_frame(peer, std::move(frame));
    }
  } catch (const LinkError& e) {
    if (authenticated) {
      std::fprintf(stderr, "traceryd: peer link from %s closed: %s\n", peer.c_str(), e.what());
    } else {
      CountHandshakeFailure(peer, e.what());
    }
  } catch (const std::exception&) {
    // The link closed or broke; the dialer reconnects.
    if (!authenticated) CountHandshakeFailure(peer, "closed during the handshake");
  }
  auto it = inbound.find(peer);
  if (it != inbound.end() && it->second == socket) inbound.erase(it);
}

awaitable<void> PeerTransport::Impl::DialerHandshake(tcp::socket& socket, const std::string& peer) {
  const std::string my_nonce = RandomBytes(kNonceBytes);
  v1::PeerFrame first;
  v1::PeerHello* hello = first.mutable_hello();
  hello->set_schema_version(1);
  hello->set_genesis_hash(HashBytes(o.genesis->hash()));
  hello->set_node_id(o.self);
  hello->set_target_id(peer);
  hello->set_nonce(my_nonce);
  co_await WriteFrame(socket, first);
  v1::PeerFrame reply = co_await ReadFrame(socket, kMaxHandshakeFrameBytes);
  if (!reply.has_hello()) throw LinkError("the reply is not a hello");
  const v1::PeerHello& theirs = reply.hello();
  if (theirs.node_id() != peer) throw LinkError("the listener is '" + theirs.node_id() + "'");
  if (theirs.genesis_hash() != HashBytes(o.genesis->hash())) {
    throw LinkError("the listener belongs to another network (genesis hash differs)");
  }
  if (theirs.nonce().size() != kNonceBytes) throw LinkError("nonce is not 32 bytes");
  if (!KeyOf(peer)->Verify(Purpose::kHandshake, o.genesis->hash(),
                           HandshakePayload('L', o.self, peer, my_nonce, theirs.nonce()),
                           theirs.signature())) {
    throw LinkError("its handshake signature does not verify with its genesis key");
  }
  v1::PeerFrame auth;
  auth.mutable_auth()->set_signature(
      o.key->Sign(Purpose::kHandshake, o.genesis->hash(),
                  HandshakePayload('D', o.self, peer, my_nonce, theirs.nonce())));
  co_await WriteFrame(socket, auth);
  v1::PeerFrame accepted = co_await ReadFrame(socket, kMaxHandshakeFrameBytes);
  if (!accepted.has_accept()) throw LinkError("the listener did not accept the link");
}

awaitable<void> PeerTransport::Impl::WriteLoop(tcp::socket& socket, Outbound* peer) {
  constexpr size_t kFramesPerWrite = 64;
  std::deque<std::string> batch;
  for (;;) {
    if (batch.empty()) {
      std::lock_guard lock(mu);
      batch.swap(peer->queue);
      peer->queue_bytes = 0;
    }
    if (batch.empty()) {
      // Send wakes the timer (on this thread) when the queue stops being empty.
      peer->wake->expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await peer->wake->async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::vector<asio::const_buffer> buffers;
    const size_t n = std::min(batch.size(), kFramesPerWrite);
    for (size_t i = 0; i < n; ++i) buffers.push_back(asio::buffer(batch[i]));
    co_await asio::async_write(socket, buffers, use_awaitable);
    batch.erase(batch.begin(), batch.begin() + static_cast<long>(n));
    std::lock_guard lock(mu);
    stats.frames_sent += n;
  }
}

awaitable<void> PeerTransport::Impl::DialLoop(Outbound* peer) {
  int backoff_ms = kFirstBackoffMs;
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(io);
    bool linked = false;
    try {
      auto host_port = SplitHostPort(peer->address);
      if (!host_port.ok()) throw LinkError(host_port.status().message());
      tcp::resolver resolver(io);
      auto endpoints =
          co_await resolver.async_resolve(host_port->first, host_port->second, use_awaitable);
      auto deadline = Deadline(io, socket, o.handshake_timeout_ms);
      co_await asio::async_connect(*socket, endpoints, use_awaitable);
      socket->set_option(tcp::no_delay(true));
      co_await DialerHandshake(*socket, peer->id);
      deadline->cancel();
      {
        std::lock_guard lock(mu);
        peer->connected = true;
        ++stats.links_opened;
      }
      linked = true;
      backoff_ms = kFirstBackoffMs;
      std::fprintf(stderr, "traceryd: peer link to %s up\n", peer->id.c_str());
      co_await WriteLoop(*socket, peer);
    } catch (const LinkError& e) {
      CountHandshakeFailure(peer->id, e.what());
    } catch (const std::exception& e) {
      // Refused, reset or timed out: the peer is down or restarting; try again later.
      if (linked) std::fprintf(stderr, "traceryd: peer link to %s down: %s\n", peer->id.c_str(), e.what());
    }
    {
      std::lock_guard lock(mu);
      peer->connected = false;
    }
    if (!linked) backoff_ms = std::min(backoff_ms * 2, o.max_backoff_ms);
    asio::steady_timer pause(io, std::chrono::milliseconds(linked ? kFirstBackoffMs : backoff_ms));
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

PeerTransport::PeerTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PeerTransport::~PeerTransport() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<PeerTransport>> PeerTransport::Start(PeerTransportOptions options) {
  TRACERY_CHECK(options.genesis != nullptr);
  TRACERY_CHECK(options.key != nullptr);
  TRACERY_CHECK(options.on_frame != nullptr);
  auto impl = std::make_unique<Impl>();
  impl->o = std::move(options);
  for (const auto& [id, address] : impl->o.peers) {
    if (impl->KeyOf(id) == nullptr) {
      return InvalidArgument("peer '" + id + "' is not a node of the genesis");
    }
    Outbound& p = impl->out[id];
    p.id = id;
    p.address = address;
    p.wake = std::make_unique<asio::steady_timer>(impl->io);
  }
  ASSIGN_OR_RETURN(auto host_port, SplitHostPort(impl->o.listen));
  try {
    tcp::resolver resolver(impl->io);
    const tcp::endpoint endpoint = *resolver.resolve(host_port.first, host_port.second).begin();
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen();
  } catch (const std::exception& e) {
    return Unavailable("peer transport cannot listen on " + impl->o.listen + ": " + e.what());
  }
  Impl* raw = impl.get();
  asio::co_spawn(raw->io, raw->AcceptLoop(), asio::detached);
  for (auto& [id, peer] : raw->out) asio::co_spawn(raw->io, raw->DialLoop(&peer), asio::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<PeerTransport>(new PeerTransport(std::move(impl)));
}

bool PeerTransport::Send(const std::string& to, const v1::PeerFrame& frame) {
  auto it = impl_->out.find(to);
  std::string bytes = EncodeFrame(frame);
  std::lock_guard lock(impl_->mu);
  if (it == impl_->out.end()) {
    ++impl_->stats.frames_dropped;
    return false;
  }
  Outbound& p = it->second;
  if (p.queue.size() >= impl_->o.max_queue_frames ||
      p.queue_bytes + bytes.size() > impl_->o.max_queue_bytes) {
    ++impl_->stats.frames_dropped;
    return false;
  }
  const bool was_empty = p.queue.empty();
  p.queue_bytes += bytes.size();
  p.queue.push_back(std::move(bytes));
  if (was_empty) asio::post(impl_->io, [&p] { p.wake->cancel(); });
  return true;
}

bool PeerTransport::Connected(const std::string& peer) const {
  auto it = impl_->out.find(peer);
  std::lock_guard lock(impl_->mu);
  return it != impl_->out.end() && it->second.connected;
}

uint16_t PeerTransport::listen_port() const { return impl_->acceptor.local_endpoint().port(); }

PeerStats PeerTransport::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace tracery::node
