#include "tracery/ledger/validator.h"

#include <set>

namespace tracery::ledger {

Status ValidateTx(const ParsedTx& tx, const Genesis& genesis) {
  const v1::TxHeader& h = tx.header;
  if (genesis.FindOrg(h.org()) == nullptr) {
    return PermissionDenied("transaction org '" + h.org() + "' is not a member of the consortium");
  }
  const NodeInfo* signer = genesis.FindNodeByKeyId(h.key_id());
  if (signer == nullptr) {
    return PermissionDenied("transaction key id '" + h.key_id() + "' is not in the genesis");
  }
  if (signer->org != h.org()) {
    return PermissionDenied("key '" + h.key_id() + "' belongs to org '" + signer->org +
                            "', not to '" + h.org() + "'");
  }
  if (!signer->writer) {
    return PermissionDenied("node '" + signer->id + "' has no writer role");
  }
  if (!signer->key.Verify(Purpose::kTx, genesis.hash(), tx.tx.header(), tx.tx.signature())) {
    return PermissionDenied("transaction signature does not verify under the key of node '" +
                            signer->id + "'");
  }
  for (int i = 0; i < tx.tx.checkpoints_size(); ++i) {
    v1::Checkpoint cp;
    const std::string where = "checkpoint " + std::to_string(i);
    if (!cp.ParseFromString(tx.tx.checkpoints(i))) {
      return InvalidArgument(where + ": not a valid Checkpoint message");
    }
    if (cp.schema_version() != kSchemaVersion) {
      return InvalidArgument(where + ": unsupported schema version");
    }
    if (cp.event_id().empty() || cp.event_id().size() > 2048 ||
        cp.event_id().find('\0') != std::string::npos) {
      return InvalidArgument(where + ": event id must be 1 to 2048 bytes with no NUL byte");
    }
    if (cp.payload_hash().size() != 32) {
      return InvalidArgument(where + ": payload hash is not 32 bytes");
    }
  }
  return Status::Ok();
}

Status VerifyCertificate(const v1::CommitCertificate& cert, uint64_t height,
                         const Hash32& block_hash, uint64_t term, const Genesis& genesis) {
  if (cert.height() != height) return Corruption("certificate is for another height");
  if (cert.term() != term) {
    return Corruption("certificate is for term " + std::to_string(cert.term()) +
                      "; the block was proposed in term " + std::to_string(term));
  }
  if (cert.block_hash() != HashBytes(block_hash)) {
    return Corruption("certificate is for another block hash");
  }
  const std::string payload = CommitVotePayload(height, block_hash, cert.term());
  std::set<std::string> voters;
  for (const v1::CommitSignature& s : cert.signatures()) {
    const NodeInfo* node = genesis.FindNode(s.node_id());
    if (node == nullptr || !node->validator) {
      return Corruption("certificate signer '" + s.node_id() + "' is not a genesis validator");
    }
    if (!node->key.Verify(Purpose::kCommit, genesis.hash(), payload, s.signature())) {
      return Corruption("certificate signature of '" + s.node_id() + "' does not verify");
    }
    voters.insert(s.node_id());
  }
  if (voters.size() < genesis.quorum()) {
    return Corruption("certificate has " + std::to_string(voters.size()) +
                      " validator signatures; the quorum is " + std::to_string(genesis.quorum()));
  }
  return Status::Ok();
}

}  // namespace tracery::ledger
