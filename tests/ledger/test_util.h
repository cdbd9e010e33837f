// A small consortium for ledger tests: orgs "a" (validator and writer) and "b" (writer), with
// keys from fixed seeds, and signed transactions of checkpoints.
#pragma once

#include <string>
#include <vector>

#include "tracery/core/encoding.h"
#include "tracery/ledger/block.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/merkle.h"

namespace tracery::ledger::testing {

inline PrivateKey Key(char seed) { return PrivateKey::FromSeed(std::string(32, seed)).value(); }

inline std::string GenesisText(const std::string& consensus = "solo") {
  auto node = [](const std::string& id, char seed, bool validator) {
    return std::string("{\"id\":\"") + id + "\",\"publicKey\":\"" +
           HexEncode(Key(seed).public_key().bytes()) + "\",\"roles\":[\"writer\"" +
           (validator ? ",\"validator\"" : "") + "]}";
  };
  return std::string("{\"schemaVersion\":1,\"chainId\":\"test\",\"consensus\":{\"kind\":\"") +
         consensus + "\"},\"orgs\":[" + "{\"id\":\"a\",\"adminKey\":\"" +
         HexEncode(Key('A').public_key().bytes()) + "\",\"glns\":[\"urn:epc:id:sgln:0614141.00001.0\"],\"nodes\":[" +
         node("a-node", 'a', true) + "]}," + "{\"id\":\"b\",\"adminKey\":\"" +
         HexEncode(Key('B').public_key().bytes()) + "\",\"nodes\":[" + node("b-node", 'b', false) +
         "]}]}";
}

inline Genesis TestGenesis() { return Genesis::Parse(GenesisText()).value(); }

inline v1::Checkpoint MakeCheckpoint(const std::string& event_id) {
  v1::Checkpoint cp;
  cp.set_schema_version(1);
  cp.set_event_id(event_id);
  cp.set_type("ObjectEvent");
  cp.set_action("OBSERVE");
  cp.set_biz_step("https://ref.gs1.org/cbv/BizStep-shipping");
  cp.set_event_time_ms(1700000000000);
  cp.add_epc_list("urn:epc:id:sgtin:0614141.107346.2018");
  cp.set_payload_hash(HashBytes(Sha256(event_id)));
  return cp;
}

// A transaction of `org` signed by `key` for `genesis`, carrying the given checkpoints.
inline ParsedTx MakeTxOf(const Genesis& genesis, const std::string& org, const PrivateKey& key,
                         const std::vector<v1::Checkpoint>& checkpoints, uint64_t nonce = 1) {
  v1::Tx tx;
  tx.set_schema_version(1);
  std::vector<Hash32> leaves;
  for (const v1::Checkpoint& cp : checkpoints) {
    std::string* bytes = tx.add_checkpoints();
    *bytes = cp.SerializeAsString();
    leaves.push_back(ledger::LeafHash(*bytes));
  }
  v1::TxHeader h;
  h.set_schema_version(1);
  h.set_org(org);
  h.set_key_id(key.public_key().KeyId());
  h.set_nonce(nonce);
  h.set_time_ms(1700000000000);
  h.set_checkpoint_count(static_cast<uint32_t>(checkpoints.size()));
  h.set_checkpoints_root(HashBytes(CheckpointsRoot(leaves)));
  tx.set_header(h.SerializeAsString());
  tx.set_signature(key.Sign(Purpose::kTx, genesis.hash(), tx.header()));
  return ParseTx(tx.SerializeAsString()).value();
}

// A transaction of `org` signed by `key` for `genesis`, carrying MakeCheckpoint of each id.
inline ParsedTx MakeTx(const Genesis& genesis, const std::string& org, const PrivateKey& key,
                       const std::vector<std::string>& event_ids, uint64_t nonce = 1) {
  std::vector<v1::Checkpoint> checkpoints;
  for (const std::string& id : event_ids) checkpoints.push_back(MakeCheckpoint(id));
  return MakeTxOf(genesis, org, key, checkpoints, nonce);
}

// A commit certificate of `b` signed by the validator with key `seed` (node `node`).
inline v1::CommitCertificate Certify(const Genesis& g, const ParsedBlock& b, char seed = 'a',
                                     const std::string& node = "a-node") {
  v1::CommitCertificate c;
  c.set_schema_version(1);
  c.set_height(b.header.height());
  c.set_block_hash(HashBytes(b.hash));
  c.set_term(b.header.term());
  auto* s = c.add_signatures();
  s->set_node_id(node);
  s->set_signature(Key(seed).Sign(Purpose::kCommit, g.hash(),
                                  CommitVotePayload(b.header.height(), b.hash, b.header.term())));
  return c;
}

}  // namespace tracery::ledger::testing
