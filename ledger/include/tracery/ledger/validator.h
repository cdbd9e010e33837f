// Deterministic validation rules that depend only on a genesis (not on ledger state).
#pragma once

#include "tracery/ledger/block.h"
#include "tracery/ledger/genesis.h"

namespace tracery::ledger {

// A transaction is authorised when its org is a member, its key id names a writer node of that
// org, its signature verifies (purpose tracery/v1/tx, this genesis) and each checkpoint parses
// with schema version 1, an event id and a 32-byte payload hash.
Status ValidateTx(const ParsedTx& tx, const Genesis& genesis);

// A commit certificate is valid for the block (height, hash, term of its header) when it is
// for that term and carries valid signatures of at least a quorum of distinct genesis
// validators.
Status VerifyCertificate(const v1::CommitCertificate& cert, uint64_t height,
                         const Hash32& block_hash, uint64_t term, const Genesis& genesis);

}  // namespace tracery::ledger
