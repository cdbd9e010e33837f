#include <atomic>
#include <mutex>

#include "tracery/ledger/ledger.h"
#include "tracery/ledger/validator.h"

namespace tracery::ledger {

void SequentialFor(size_t n, const std::function<void(size_t)>& fn) {
  for (size_t i = 0; i < n; ++i) fn(i);
}

Result<AuditReport> AuditLedger(const std::string& dir, const Genesis& genesis,
                                const ParallelFor& parallel_for,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  // Open verifies the header chain and the stored log against the head.
  ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger, Ledger::Open(dir, genesis));
  const Head head = ledger->head();
  AuditReport report;
  MerkleTree log;
  Hash32 previous = genesis.hash();
  for (uint64_t height = 1; height <= head.height; ++height) {
    const std::string where = "block " + std::to_string(height);
    ASSIGN_OR_RETURN(ParsedBlock block, ledger->ReadBlock(height));
    if (block.header.previous_hash() != HashBytes(previous)) {
      return Corruption(where + ": previous_hash does not match block " +
                        std::to_string(height - 1));
    }
    // A block without a certificate of its own is final through a certified descendant.
    auto cert = ledger->ReadCertificate(height);
    if (cert.ok()) {
      Status cert_ok =
          VerifyCertificate(*cert, height, block.hash, block.header.term(), genesis);
      if (!cert_ok.ok()) return cert_ok.Annotate(where);
      report.uncertified_tail = 0;
    } else if (cert.status().code() == Code::kNotFound) {
      ++report.uncertified_tail;
    } else {
      return cert.status().Annotate(where);
    }
    // Signatures are the expensive part: check them in parallel, report the first failure.
    std::mutex mu;
    size_t first_bad = block.txs.size();
    Status bad;
    parallel_for(block.txs.size(), [&](size_t i) {
      Status st = ValidateTx(block.txs[i], genesis);
      if (st.ok()) return;
      std::lock_guard lock(mu);
      if (i < first_bad) {
        first_bad = i;
        bad = st;
      }
    });
    if (!bad.ok()) return bad.Annotate(where + " tx " + std::to_string(first_bad));
    for (size_t pos = 0; pos < block.txs.size(); ++pos) {
      const ParsedTx& tx = block.txs[pos];
      auto loc = ledger->FindTx(tx.id);
      if (!loc.ok() || loc->height != height || loc->position != pos) {
        return Corruption(where + " tx " + std::to_string(pos) + ": the tx index disagrees");
      }
      for (const Hash32& leaf : tx.leaf_hashes) log.Append(leaf);
      report.checkpoints += tx.leaf_hashes.size();
    }
    if (block.header.log_size() != log.size() ||
        block.header.log_root() != HashBytes(log.Root())) {
      return Corruption(where + ": the ledger-wide log root does not match the checkpoints");
    }
    report.txs += block.txs.size();
    report.blocks = height;
    previous = block.hash;
    if (progress) progress(height, head.height);
  }
  report.head_hash = previous;
  return report;
}

}  // namespace tracery::ledger
