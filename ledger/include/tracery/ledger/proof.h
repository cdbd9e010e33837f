// Self-contained proof bundles that a third party verifies offline with nothing but the
// genesis: each checkpoint's path to its signed transaction header, the signature, the
// transaction's path to its block header, the block's commit certificate (through a chain of
// headers to a certified descendant when the block itself carries none), and each
// checkpoint's inclusion in the ledger-wide log at that block. Format: docs/formats/proof.md.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "tracery/ledger/genesis.h"
#include "tracery/ledger/ledger.h"

namespace tracery::ledger {

struct CheckpointProof {
  std::string checkpoint;  // the checkpoint bytes (the Merkle leaf data)
  uint32_t index = 0;      // position in the transaction
  std::vector<Hash32> path;
  uint64_t log_index = 0;  // position in the ledger-wide log
  std::vector<Hash32> log_path;
};

struct ProofBundle {
  std::vector<CheckpointProof> checkpoints;
  std::string tx_header;  // the signed TxHeader bytes
  std::string tx_signature;
  uint32_t tx_index = 0;
  std::vector<Hash32> tx_path;
  std::string block_header;        // the BlockHeader bytes
  std::vector<std::string> chain;  // later headers, each linking to the one before
  v1::CommitCertificate certificate;  // certifies the last header (block_header if no chain)
};

// A proof of a whole transaction (every checkpoint it carries).
Result<ProofBundle> ProveTx(const Ledger& ledger, const Hash32& tx_id);
// A proof of one checkpoint.
Result<ProofBundle> ProveCheckpoint(const Ledger& ledger, const CheckpointLocation& loc);
// Proofs of many checkpoints (a recall's every step), one bundle per location in the order
// given, each equal to ProveCheckpoint's. Each block is read and each Merkle tree built once,
// however many of its checkpoints are asked for.
Result<std::vector<ProofBundle>> ProveCheckpoints(const Ledger& ledger,
                                                  std::span<const CheckpointLocation> locs);

nlohmann::json ProofToJson(const ProofBundle& proof);
Result<ProofBundle> ProofFromJson(const nlohmann::json& j);

struct VerifiedProof {
  Hash32 tx_id{};
  std::string org;
  std::string signer;  // node id
  int64_t tx_time_ms = 0;
  uint64_t height = 0;
  Hash32 block_hash{};
  uint64_t certified_height = 0;
  std::vector<v1::Checkpoint> checkpoints;
};

// Checks every link; a failure names the check that failed, e.g.
// "checkpoint 0 in transaction: inclusion: the path does not lead to the root".
Result<VerifiedProof> VerifyProof(const ProofBundle& proof, const Genesis& genesis);

struct ConsistencyBundle {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  Hash32 old_root{};
  Hash32 new_root{};
  std::vector<Hash32> path;
};
Result<ConsistencyBundle> ProveConsistency(const Ledger& ledger, uint64_t old_size,
                                           uint64_t new_size);
nlohmann::json ConsistencyToJson(const ConsistencyBundle& c);
Result<ConsistencyBundle> ConsistencyFromJson(const nlohmann::json& j);

}  // namespace tracery::ledger
