#include <charconv>

#include "tracery/consensus/sim.h"

namespace tracery::consensus::sim {

namespace {

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

Result<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return InvalidArgument("fake block: bad number '" + std::string(s) + "'");
  }
  return v;
}

}  // namespace

std::string EncodeFakeBlock(const FakeBlock& block) {
  return "blk|" + std::to_string(block.height) + "|" + std::to_string(block.term) + "|" +
         HashHex(block.previous) + "|" + block.payload;
}

Result<FakeBlock> DecodeFakeBlock(std::string_view bytes) {
  if (bytes.substr(0, 4) != "blk|") return InvalidArgument("fake block: no 'blk|' prefix");
  std::string_view rest = bytes.substr(4);
  std::string_view parts[3];
  for (std::string_view& part : parts) {
    const size_t bar = rest.find('|');
    if (bar == std::string_view::npos) return InvalidArgument("fake block: too few fields");
    part = rest.substr(0, bar);
    rest = rest.substr(bar + 1);
  }
  FakeBlock b;
  ASSIGN_OR_RETURN(b.height, ParseU64(parts[0]));
  ASSIGN_OR_RETURN(b.term, ParseU64(parts[1]));
  if (parts[2].size() != 64) return InvalidArgument("fake block: previous hash is not 64 hex");
  for (size_t i = 0; i < 32; ++i) {
    uint8_t v = 0;
    auto [ptr, ec] = std::from_chars(parts[2].data() + 2 * i, parts[2].data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || ptr != parts[2].data() + 2 * i + 2) {
      return InvalidArgument("fake block: previous hash is not hex");
    }
    b.previous[i] = v;
  }
  b.payload = std::string(rest);
  return b;
}

Hash32 FakeGenesisHash() { return Sha256("tracery-sim-genesis"); }

std::string FakeVoteSignature(const NodeId& voter, uint64_t height, const Hash32& hash,
                              uint64_t term) {
  std::string msg = "vote|" + voter + "|";
  PutU64(&msg, height);
  msg += HashBytes(hash);
  PutU64(&msg, term);
  return HashBytes(Sha256(msg));
}

Hash32 FakeLedger::HashAt(uint64_t height) const {
  TRACERY_CHECK(height <= head());
  return height == 0 ? FakeGenesisHash() : blocks_[height - 1].hash;
}

uint64_t FakeLedger::TermAt(uint64_t height) const {
  TRACERY_CHECK(height <= head());
  return height == 0 ? 0 : blocks_[height - 1].term;
}

Status FakeLedger::Append(std::string data, std::optional<v1::CommitCertificate> certificate) {
  ASSIGN_OR_RETURN(FakeBlock b, DecodeFakeBlock(data));
  if (b.height != head() + 1) {
    return FailedPrecondition("ledger: block " + std::to_string(b.height) + " after head " +
                              std::to_string(head()));
  }
  if (b.previous != HashAt(head())) {
    return FailedPrecondition("ledger: block " + std::to_string(b.height) +
                              " does not chain onto the head");
  }
  LedgerBlock lb;
  lb.hash = Sha256(data);
  lb.term = b.term;
  lb.data = std::move(data);
  lb.certificate = std::move(certificate);
  blocks_.push_back(std::move(lb));
  return Status::Ok();
}

Result<Hash32> FakeOps::ChainHash(uint64_t height) const {
  if (height <= ledger_->head()) return ledger_->HashAt(height);
  auto it = chain_.find(height);
  if (it == chain_.end()) {
    return FailedPrecondition("no block at height " + std::to_string(height) + " to follow");
  }
  return it->second;
}

Result<ProposalOps::Info> FakeOps::Inspect(const std::string& proposal) {
  ASSIGN_OR_RETURN(FakeBlock b, DecodeFakeBlock(proposal));
  if (b.height == 0) return InvalidArgument("fake block: height 0 is the genesis");
  ASSIGN_OR_RETURN(Hash32 previous, ChainHash(b.height - 1));
  if (b.previous != previous) {
    return InvalidArgument("fake block " + std::to_string(b.height) +
                           ": previous hash does not match this node's chain");
  }
  Info info;
  info.height = b.height;
  info.hash = Sha256(proposal);
  info.term = b.term;
  chain_.erase(chain_.lower_bound(b.height), chain_.end());
  chain_[b.height] = info.hash;
  // Heights at or below the ledger head are the ledger's now.
  chain_.erase(chain_.begin(), chain_.upper_bound(ledger_->head()));
  return info;
}

v1::CommitSignature FakeOps::SignVote(uint64_t height, const Hash32& hash, uint64_t term) {
  v1::CommitSignature s;
  s.set_node_id(self_);
  s.set_signature(FakeVoteSignature(self_, height, hash, term));
  return s;
}

bool FakeOps::VerifyVote(const v1::CommitSignature& vote, uint64_t height, const Hash32& hash,
                         uint64_t term) {
  bool known = false;
  for (const NodeId& id : validators_) known = known || id == vote.node_id();
  return known && vote.signature() == FakeVoteSignature(vote.node_id(), height, hash, term);
}

std::string FakeOps::MakeBlock(uint64_t term, const std::string& payload) const {
  TRACERY_CHECK(engine_ != nullptr);
  FakeBlock b;
  b.height = engine_->last_index() + 1;
  b.term = term;
  Result<Hash32> previous = ChainHash(b.height - 1);
  TRACERY_CHECK(previous.ok());
  b.previous = *previous;
  b.payload = payload;
  return EncodeFakeBlock(b);
}

std::string DescribeMessage(const Message& message) {
  v1::RaftMessage m;
  std::string out = message.from + "->" + message.to + " ";
  if (!m.ParseFromString(message.payload)) return out + "<unparsable>";
  auto num = [](uint64_t v) { return std::to_string(v); };
  switch (m.kind()) {
    case v1::RAFT_PRE_VOTE:
    case v1::RAFT_VOTE:
      out += m.kind() == v1::RAFT_PRE_VOTE ? "PreVote" : "Vote";
      out += " t" + num(m.term()) + " last=" + num(m.index()) + "/t" + num(m.log_term());
      break;
    case v1::RAFT_PRE_VOTE_RESPONSE:
    case v1::RAFT_VOTE_RESPONSE:
      out += m.kind() == v1::RAFT_PRE_VOTE_RESPONSE ? "PreVoteResp" : "VoteResp";
      out += " t" + num(m.term()) + (m.reject() ? " reject" : " grant");
      break;
    case v1::RAFT_APPEND: {
      out += "Append t" + num(m.term()) + " prev=" + num(m.index()) + "/t" + num(m.log_term()) +
             " ents=[";
      for (int i = 0; i < m.entries_size(); ++i) {
        if (i > 0) out += " ";
        Result<FakeBlock> b = DecodeFakeBlock(m.entries(i).data());
        out += num(m.index() + 1 + static_cast<uint64_t>(i)) + "/t" + num(m.entries(i).term());
        if (b.ok() && !b->payload.empty()) out += ":" + b->payload;
      }
      out += "] commit=" + num(m.commit());
      break;
    }
    case v1::RAFT_APPEND_RESPONSE:
      out += "AppendResp t" + num(m.term());
      if (m.reject()) {
        out += " reject=" + num(m.index()) + " hint=" + num(m.reject_hint()) + "/t" +
               num(m.hint_term());
      } else {
        out += " match=" + num(m.index());
      }
      out += " commit=" + num(m.commit());
      break;
    case v1::RAFT_HEARTBEAT:
      out += "Heartbeat t" + num(m.term()) + " commit=" + num(m.commit());
      break;
    case v1::RAFT_HEARTBEAT_RESPONSE:
      out += "HeartbeatResp t" + num(m.term()) + " commit=" + num(m.commit());
      break;
    case v1::RAFT_CATCH_UP:
      out += "CatchUp t" + num(m.term()) + " to=" + num(m.index()) + "/t" + num(m.log_term());
      break;
    default:
      out += "kind" + num(static_cast<uint64_t>(m.kind()));
  }
  if (m.votes_size() > 0) {
    out += " votes=[";
    for (int i = 0; i < m.votes_size(); ++i) out += (i ? " " : "") + num(m.votes(i).index());
    out += "]";
  }
  if (m.certificates_size() > 0) {
    out += " certs=[";
    for (int i = 0; i < m.certificates_size(); ++i) {
      out += (i ? " " : "") + num(m.certificates(i).height());
    }
    out += "]";
  }
  return out;
}

}  // namespace tracery::consensus::sim
