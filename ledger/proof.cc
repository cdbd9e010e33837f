#include "tracery/ledger/proof.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "tracery/core/encoding.h"
#include "tracery/ledger/validator.h"

namespace tracery::ledger {
namespace {

using nlohmann::json;

json HashList(const std::vector<Hash32>& hashes) {
  json out = json::array();
  for (const Hash32& h : hashes) out.push_back(HashHex(h));
  return out;
}

// Typed field readers that name the field in their error.
Result<const json*> Field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return InvalidArgument(std::string("proof.") + name + ": missing");
  return &*it;
}

Result<uint64_t> GetUint(const json& j, const char* name) {
  ASSIGN_OR_RETURN(const json* v, Field(j, name));
  if (!v->is_number_unsigned()) {
    return InvalidArgument(std::string("proof.") + name + ": expected an unsigned integer");
  }
  return v->get<uint64_t>();
}

Result<std::string> GetBase64(const json& j, const char* name) {
  ASSIGN_OR_RETURN(const json* v, Field(j, name));
  if (!v->is_string()) return InvalidArgument(std::string("proof.") + name + ": expected base64");
  auto bytes = Base64Decode(v->get<std::string>());
  if (!bytes.ok()) return bytes.status().Annotate(std::string("proof.") + name);
  return bytes;
}

Result<Hash32> ParseHashHex(const json& v, const std::string& name) {
  if (!v.is_string()) return InvalidArgument("proof." + name + ": expected a hex hash");
  auto bytes = HexDecode(v.get<std::string>());
  if (!bytes.ok()) return bytes.status().Annotate("proof." + name);
  auto h = HashFromBytes(*bytes);
  if (!h.ok()) return h.status().Annotate("proof." + name);
  return h;
}

Result<std::vector<Hash32>> GetHashList(const json& j, const char* name) {
  ASSIGN_OR_RETURN(const json* v, Field(j, name));
  if (!v->is_array()) return InvalidArgument(std::string("proof.") + name + ": expected an array");
  if (v->size() > 128) return InvalidArgument(std::string("proof.") + name + ": too long");
  std::vector<Hash32> out;
  for (const json& e : *v) {
    ASSIGN_OR_RETURN(Hash32 h, ParseHashHex(e, name));
    out.push_back(h);
  }
  return out;
}

Result<std::vector<Hash32>> TxLeaves(const ParsedBlock& block) {
  std::vector<Hash32> leaves;
  leaves.reserve(block.txs.size());
  for (const ParsedTx& t : block.txs) leaves.push_back(LeafHash(HashBytes(t.id)));
  return leaves;
}

// The block part of bundles: what every checkpoint proof of one block shares.
struct BlockPart {
  ParsedBlock block;
  MerkleTree tx_tree;  // over the transaction ids
  Finality finality;
};

Result<BlockPart> ProveBlockPart(const Ledger& ledger, uint64_t height) {
  BlockPart b;
  ASSIGN_OR_RETURN(b.block, ledger.ReadBlock(height));
  ASSIGN_OR_RETURN(std::vector<Hash32> leaves, TxLeaves(b.block));
  b.tx_tree = MerkleTree(leaves);
  ASSIGN_OR_RETURN(b.finality, ledger.ProveFinality(height));
  return b;
}

// Fills the transaction and block part of a bundle; log_base is the log size before the tx.
Result<ProofBundle> ProveTxInBlock(const BlockPart& b, uint32_t position, uint64_t* log_base) {
  const ParsedBlock& block = b.block;
  if (position >= block.txs.size()) return Corruption("tx index points past its block");
  ProofBundle p;
  const ParsedTx& tx = block.txs[position];
  p.tx_header = tx.tx.header();
  p.tx_signature = tx.tx.signature();
  p.tx_index = position;
  ASSIGN_OR_RETURN(p.tx_path, b.tx_tree.InclusionProof(position, block.txs.size()));
  p.block_header = block.header_bytes;
  p.chain = b.finality.chain;
  p.certificate = b.finality.certificate;
  uint64_t in_block = 0;
  for (size_t i = 0; i < position; ++i) in_block += block.txs[i].leaf_hashes.size();
  uint64_t block_checkpoints = 0;
  for (const ParsedTx& t : block.txs) block_checkpoints += t.leaf_hashes.size();
  *log_base = block.header.log_size() - block_checkpoints + in_block;
  return p;
}

Result<ProofBundle> ProveTxPart(const Ledger& ledger, const TxLocation& loc, uint64_t* log_base,
                                ParsedTx* tx_out) {
  ASSIGN_OR_RETURN(BlockPart b, ProveBlockPart(ledger, loc.height));
  ASSIGN_OR_RETURN(ProofBundle p, ProveTxInBlock(b, loc.position, log_base));
  *tx_out = b.block.txs[loc.position];
  return p;
}

Status AddCheckpoint(const Ledger& ledger, const ParsedTx& tx, uint32_t index, uint64_t log_base,
                     uint64_t log_size, ProofBundle* p) {
  if (index >= tx.leaf_hashes.size()) return Corruption("checkpoint index past its transaction");
  CheckpointProof c;
  c.checkpoint = tx.tx.checkpoints(static_cast<int>(index));
  c.index = index;
  ASSIGN_OR_RETURN(c.path, MerkleTree(tx.leaf_hashes).InclusionProof(index, tx.leaf_hashes.size()));
  c.log_index = log_base + index;
  ASSIGN_OR_RETURN(c.log_path, ledger.LogInclusionProof(c.log_index, log_size));
  p->checkpoints.push_back(std::move(c));
  return Status::Ok();
}

}  // namespace

Result<ProofBundle> ProveTx(const Ledger& ledger, const Hash32& tx_id) {
  ASSIGN_OR_RETURN(TxLocation loc, ledger.FindTx(tx_id));
  uint64_t log_base = 0;
  ParsedTx tx;
  ASSIGN_OR_RETURN(ProofBundle p, ProveTxPart(ledger, loc, &log_base, &tx));
  ASSIGN_OR_RETURN(v1::BlockHeader header, ParseBlockHeader(p.block_header));
  for (uint32_t i = 0; i < tx.leaf_hashes.size(); ++i) {
    RETURN_IF_ERROR(AddCheckpoint(ledger, tx, i, log_base, header.log_size(), &p));
  }
  return p;
}

Result<ProofBundle> ProveCheckpoint(const Ledger& ledger, const CheckpointLocation& loc) {
  uint64_t log_base = 0;
  ParsedTx tx;
  ASSIGN_OR_RETURN(ProofBundle p,
                   ProveTxPart(ledger, {loc.height, loc.tx_position}, &log_base, &tx));
  ASSIGN_OR_RETURN(v1::BlockHeader header, ParseBlockHeader(p.block_header));
  RETURN_IF_ERROR(AddCheckpoint(ledger, tx, loc.checkpoint_index, log_base, header.log_size(), &p));
  return p;
}

Result<std::vector<ProofBundle>> ProveCheckpoints(const Ledger& ledger,
                                                  std::span<const CheckpointLocation> locs) {
  std::vector<size_t> order(locs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(locs[a].height, locs[a].tx_position) <
           std::tie(locs[b].height, locs[b].tx_position);
  });
  std::vector<ProofBundle> out(locs.size());
  std::optional<BlockPart> block;
  std::optional<uint32_t> tx_position;
  ProofBundle tx_part;
  uint64_t log_base = 0;
  MerkleTree checkpoint_tree;
  for (size_t i : order) {
    const CheckpointLocation& loc = locs[i];
    if (!block.has_value() || block->block.header.height() != loc.height) {
      ASSIGN_OR_RETURN(BlockPart b, ProveBlockPart(ledger, loc.height));
      block = std::move(b);
      tx_position.reset();
    }
    if (tx_position != loc.tx_position) {
      ASSIGN_OR_RETURN(tx_part, ProveTxInBlock(*block, loc.tx_position, &log_base));
      checkpoint_tree = MerkleTree(block->block.txs[loc.tx_position].leaf_hashes);
      tx_position = loc.tx_position;
    }
    const ParsedTx& tx = block->block.txs[loc.tx_position];
    if (loc.checkpoint_index >= tx.leaf_hashes.size()) {
      return Corruption("checkpoint index past its transaction");
    }
    ProofBundle p = tx_part;
    CheckpointProof c;
    c.checkpoint = tx.tx.checkpoints(static_cast<int>(loc.checkpoint_index));
    c.index = loc.checkpoint_index;
    ASSIGN_OR_RETURN(c.path,
                     checkpoint_tree.InclusionProof(loc.checkpoint_index, tx.leaf_hashes.size()));
    c.log_index = log_base + loc.checkpoint_index;
    ASSIGN_OR_RETURN(c.log_path,
                     ledger.LogInclusionProof(c.log_index, block->block.header.log_size()));
    p.checkpoints.push_back(std::move(c));
    out[i] = std::move(p);
  }
  return out;
}

json ProofToJson(const ProofBundle& p) {
  json cps = json::array();
  for (const CheckpointProof& c : p.checkpoints) {
    cps.push_back({{"checkpoint", Base64Encode(c.checkpoint)},
                   {"index", c.index},
                   {"path", HashList(c.path)},
                   {"logIndex", c.log_index},
                   {"logPath", HashList(c.log_path)}});
  }
  json chain = json::array();
  for (const std::string& h : p.chain) chain.push_back(Base64Encode(h));
  return json{{"schemaVersion", 1},
              {"checkpoints", cps},
              {"txHeader", Base64Encode(p.tx_header)},
              {"txSignature", Base64Encode(p.tx_signature)},
              {"txIndex", p.tx_index},
              {"txPath", HashList(p.tx_path)},
              {"blockHeader", Base64Encode(p.block_header)},
              {"chain", chain},
              {"certificate", Base64Encode(p.certificate.SerializeAsString())}};
}

Result<ProofBundle> ProofFromJsonUnchecked(const json& j);

Result<ProofBundle> ProofFromJson(const json& j) {
  try {
    return ProofFromJsonUnchecked(j);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("proof: a member has the wrong type: ") + e.what());
  }
}

Result<ProofBundle> ProofFromJsonUnchecked(const json& j) {
  if (!j.is_object()) return InvalidArgument("proof: expected a JSON object");
  if (j.value("schemaVersion", 0) != 1) return InvalidArgument("proof.schemaVersion: must be 1");
  ProofBundle p;
  ASSIGN_OR_RETURN(const json* cps, Field(j, "checkpoints"));
  if (!cps->is_array() || cps->empty() || cps->size() > kMaxCheckpointsPerTx) {
    return InvalidArgument("proof.checkpoints: expected 1 to 1000 entries");
  }
  for (const json& c : *cps) {
    if (!c.is_object()) return InvalidArgument("proof.checkpoints: expected objects");
    CheckpointProof cp;
    ASSIGN_OR_RETURN(cp.checkpoint, GetBase64(c, "checkpoint"));
    ASSIGN_OR_RETURN(uint64_t index, GetUint(c, "index"));
    cp.index = static_cast<uint32_t>(index);
    ASSIGN_OR_RETURN(cp.path, GetHashList(c, "path"));
    ASSIGN_OR_RETURN(cp.log_index, GetUint(c, "logIndex"));
    ASSIGN_OR_RETURN(cp.log_path, GetHashList(c, "logPath"));
    p.checkpoints.push_back(std::move(cp));
  }
  ASSIGN_OR_RETURN(p.tx_header, GetBase64(j, "txHeader"));
  ASSIGN_OR_RETURN(p.tx_signature, GetBase64(j, "txSignature"));
  ASSIGN_OR_RETURN(uint64_t tx_index, GetUint(j, "txIndex"));
  p.tx_index = static_cast<uint32_t>(tx_index);
  ASSIGN_OR_RETURN(p.tx_path, GetHashList(j, "txPath"));
  ASSIGN_OR_RETURN(p.block_header, GetBase64(j, "blockHeader"));
  if (j.contains("chain")) {
    if (!j["chain"].is_array() || j["chain"].size() > kMaxProofChain) {
      return InvalidArgument("proof.chain: expected an array of at most " +
                             std::to_string(kMaxProofChain) + " headers");
    }
    for (const json& h : j["chain"]) {
      if (!h.is_string()) return InvalidArgument("proof.chain: expected base64 strings");
      auto bytes = Base64Decode(h.get<std::string>());
      if (!bytes.ok()) return bytes.status().Annotate("proof.chain");
      p.chain.push_back(std::move(bytes).value());
    }
  }
  ASSIGN_OR_RETURN(std::string cert, GetBase64(j, "certificate"));
  if (!p.certificate.ParseFromString(cert)) {
    return InvalidArgument("proof.certificate: not a CommitCertificate");
  }
  return p;
}

Result<VerifiedProof> VerifyProof(const ProofBundle& p, const Genesis& genesis) {
  VerifiedProof v;
  // 1. The signed transaction header and its signature.
  v1::TxHeader tx;
  if (!tx.ParseFromString(p.tx_header) || tx.schema_version() != kSchemaVersion) {
    return Corruption("transaction header: does not parse");
  }
  const NodeInfo* signer = genesis.FindNodeByKeyId(tx.key_id());
  if (signer == nullptr || signer->org != tx.org() || !signer->writer) {
    return Corruption("transaction signature: key '" + tx.key_id() +
                      "' is not a writer key of org '" + tx.org() + "' in this genesis");
  }
  if (!signer->key.Verify(Purpose::kTx, genesis.hash(), p.tx_header, p.tx_signature)) {
    return Corruption("transaction signature: does not verify");
  }
  v.tx_id = Sha256(p.tx_header);
  v.org = tx.org();
  v.signer = signer->id;
  v.tx_time_ms = tx.time_ms();
  ASSIGN_OR_RETURN(Hash32 checkpoints_root, HashFromBytes(tx.checkpoints_root()));
  // 2. The block header and the transaction's inclusion in it.
  auto header = ParseBlockHeader(p.block_header);
  if (!header.ok()) return Corruption("block header: " + header.status().message());
  v.height = header->height();
  v.block_hash = Sha256(p.block_header);
  ASSIGN_OR_RETURN(Hash32 txs_root, HashFromBytes(header->txs_root()));
  Status st = VerifyInclusion(LeafHash(HashBytes(v.tx_id)), p.tx_index, header->tx_count(),
                              p.tx_path, txs_root);
  if (!st.ok()) return st.Annotate("transaction in block");
  // 3. Each checkpoint: in the transaction, and in the ledger-wide log at this block.
  ASSIGN_OR_RETURN(Hash32 log_root, HashFromBytes(header->log_root()));
  for (size_t i = 0; i < p.checkpoints.size(); ++i) {
    const CheckpointProof& c = p.checkpoints[i];
    const std::string where = "checkpoint " + std::to_string(i);
    const Hash32 leaf = LeafHash(c.checkpoint);
    st = VerifyInclusion(leaf, c.index, tx.checkpoint_count(), c.path, checkpoints_root);
    if (!st.ok()) return st.Annotate(where + " in transaction");
    st = VerifyInclusion(leaf, c.log_index, header->log_size(), c.log_path, log_root);
    if (!st.ok()) return st.Annotate(where + " in ledger-wide log");
    v1::Checkpoint cp;
    if (!cp.ParseFromString(c.checkpoint)) return Corruption(where + ": does not parse");
    v.checkpoints.push_back(std::move(cp));
  }
  // 4. Finality: the chain of later headers up to the certified one.
  Hash32 certified = v.block_hash;
  uint64_t certified_height = v.height;
  uint64_t certified_term = header->term();
  for (size_t i = 0; i < p.chain.size(); ++i) {
    auto next = ParseBlockHeader(p.chain[i]);
    if (!next.ok()) return Corruption("chain header " + std::to_string(i) + ": does not parse");
    if (next->previous_hash() != HashBytes(certified) ||
        next->height() != certified_height + 1) {
      return Corruption("chain header " + std::to_string(i) + ": does not link to the one before");
    }
    certified = Sha256(p.chain[i]);
    certified_height = next->height();
    certified_term = next->term();
  }
  st = VerifyCertificate(p.certificate, certified_height, certified, certified_term, genesis);
  if (!st.ok()) return st.Annotate("commit certificate");
  v.certified_height = certified_height;
  return v;
}

Result<ConsistencyBundle> ProveConsistency(const Ledger& ledger, uint64_t old_size,
                                           uint64_t new_size) {
  ConsistencyBundle c{old_size, new_size, {}, {}, {}};
  ASSIGN_OR_RETURN(c.path, ledger.LogConsistencyProof(old_size, new_size));
  ASSIGN_OR_RETURN(c.old_root, ledger.LogRootAt(old_size));
  ASSIGN_OR_RETURN(c.new_root, ledger.LogRootAt(new_size));
  return c;
}

json ConsistencyToJson(const ConsistencyBundle& c) {
  return json{{"from", c.old_size},
              {"to", c.new_size},
              {"fromRoot", HashHex(c.old_root)},
              {"toRoot", HashHex(c.new_root)},
              {"path", HashList(c.path)}};
}

Result<ConsistencyBundle> ConsistencyFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("consistency proof: expected a JSON object");
  ConsistencyBundle c;
  ASSIGN_OR_RETURN(c.old_size, GetUint(j, "from"));
  ASSIGN_OR_RETURN(c.new_size, GetUint(j, "to"));
  ASSIGN_OR_RETURN(const json* from_root, Field(j, "fromRoot"));
  ASSIGN_OR_RETURN(c.old_root, ParseHashHex(*from_root, "fromRoot"));
  ASSIGN_OR_RETURN(const json* to_root, Field(j, "toRoot"));
  ASSIGN_OR_RETURN(c.new_root, ParseHashHex(*to_root, "toRoot"));
  ASSIGN_OR_RETURN(c.path, GetHashList(j, "path"));
  return c;
}

}  // namespace tracery::ledger
