// Checkpoints, signed transactions and blocks for lineage tests, on the test consortium of
// tests/ledger/test_util.h (orgs "a" and "b").
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/ledger/test_util.h"
#include "tracery/ledger/ledger.h"
#include "tracery/lineage/graph.h"

namespace tracery::lineage::testing {

inline constexpr const char* kCbv = "https://ref.gs1.org/cbv/";
inline std::string BizStep(const std::string& s) { return std::string(kCbv) + "BizStep-" + s; }
inline std::string Disp(const std::string& s) { return std::string(kCbv) + "Disp-" + s; }
inline std::string Sdt(const std::string& s) { return std::string(kCbv) + "SDT-" + s; }

inline std::string Lot(const std::string& gtin, const std::string& lot) {
  return "https://id.gs1.org/01/" + gtin + "/10/" + lot;
}
inline std::string Item(const std::string& gtin, const std::string& serial) {
  return "https://id.gs1.org/01/" + gtin + "/21/" + serial;
}
inline std::string Sscc(const std::string& digits) { return "https://id.gs1.org/00/" + digits; }
inline std::string Gln(const std::string& digits) { return "https://id.gs1.org/414/" + digits; }

inline v1::Checkpoint Base(const std::string& event_id, const std::string& type, int64_t time_ms) {
  v1::Checkpoint cp;
  cp.set_schema_version(1);
  cp.set_event_id(event_id);
  cp.set_type(type);
  cp.set_event_time_ms(time_ms);
  cp.set_payload_hash(HashBytes(Sha256(event_id)));
  return cp;
}

inline void AddClass(google::protobuf::RepeatedPtrField<v1::Quantity>* list,
                     const std::string& cls) {
  v1::Quantity* q = list->Add();
  q->set_epc_class(cls);
  q->set_quantity("10");
  q->set_uom("KGM");
}

// A TransformationEvent; identifiers that look like lots (/10/ without /21/) or GTIN classes go
// into the quantity lists, the rest into the EPC lists.
inline bool IsClass(const std::string& id) {
  return id.find("/21/") == std::string::npos && id.find("/01/") != std::string::npos;
}
inline v1::Checkpoint Transform(const std::string& event_id, int64_t time_ms,
                                const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs,
                                const std::string& transformation_id = "") {
  v1::Checkpoint cp = Base(event_id, "TransformationEvent", time_ms);
  for (const std::string& id : inputs) {
    if (IsClass(id)) {
      AddClass(cp.mutable_input_quantity_list(), id);
    } else {
      cp.add_input_epc_list(id);
    }
  }
  for (const std::string& id : outputs) {
    if (IsClass(id)) {
      AddClass(cp.mutable_output_quantity_list(), id);
    } else {
      cp.add_output_epc_list(id);
    }
  }
  cp.set_transformation_id(transformation_id);
  cp.set_biz_step(BizStep("commissioning"));
  return cp;
}

// An AggregationEvent: ADD, OBSERVE or DELETE of `children` in `parent`.
inline v1::Checkpoint Aggregate(const std::string& event_id, int64_t time_ms,
                                const std::string& action, const std::string& parent,
                                const std::vector<std::string>& children) {
  v1::Checkpoint cp = Base(event_id, "AggregationEvent", time_ms);
  cp.set_action(action);
  cp.set_parent_id(parent);
  for (const std::string& id : children) {
    if (IsClass(id)) {
      AddClass(cp.mutable_child_quantity_list(), id);
    } else {
      cp.add_child_epcs(id);
    }
  }
  cp.set_biz_step(BizStep(action == "DELETE" ? "unpacking" : "packing"));
  return cp;
}

// An ObjectEvent ADD commissioning `items` with an ILMD lot number.
inline v1::Checkpoint Commission(const std::string& event_id, int64_t time_ms,
                                 const std::vector<std::string>& items,
                                 const std::string& lot_number) {
  v1::Checkpoint cp = Base(event_id, "ObjectEvent", time_ms);
  cp.set_action("ADD");
  cp.set_biz_step(BizStep("commissioning"));
  cp.set_disposition(Disp("active"));
  for (const std::string& id : items) cp.add_epc_list(id);
  cp.set_lot_number(lot_number);
  return cp;
}

// An ObjectEvent OBSERVE with the given bizStep (shipping, receiving, ...) of `what`, from
// `source` to `destination` (owning-party GLNs; empty: none).
inline v1::Checkpoint Move(const std::string& event_id, int64_t time_ms, const std::string& step,
                           const std::vector<std::string>& what, const std::string& source,
                           const std::string& destination, const std::string& disposition = "") {
  v1::Checkpoint cp = Base(event_id, "ObjectEvent", time_ms);
  cp.set_action("OBSERVE");
  cp.set_biz_step(BizStep(step));
  if (!disposition.empty()) cp.set_disposition(Disp(disposition));
  for (const std::string& id : what) {
    if (IsClass(id)) {
      AddClass(cp.mutable_quantity_list(), id);
    } else {
      cp.add_epc_list(id);
    }
  }
  if (!source.empty()) {
    v1::TypedId* s = cp.add_source_list();
    s->set_type(Sdt("owning_party"));
    s->set_id(source);
  }
  if (!destination.empty()) {
    v1::TypedId* d = cp.add_destination_list();
    d->set_type(Sdt("owning_party"));
    d->set_id(destination);
  }
  return cp;
}

// The error declaration that withdraws `cp` (same event id).
inline v1::Checkpoint Declare(v1::Checkpoint cp, int64_t declaration_time_ms,
                              const std::vector<std::string>& corrective = {}) {
  v1::ErrorDeclaration* d = cp.mutable_error_declaration();
  d->set_declaration_time_ms(declaration_time_ms);
  d->set_reason("https://ref.gs1.org/cbv/ER-incorrect_data");
  for (const std::string& id : corrective) d->add_corrective_event_ids(id);
  return cp;
}

inline PrivateKey OrgKey(const std::string& org) {
  return ledger::testing::Key(org == "a" ? 'a' : 'b');
}

// A signed transaction of `org` carrying `cps`.
inline ledger::ParsedTx CheckpointTx(const ledger::Genesis& genesis, const std::string& org,
                                     const std::vector<v1::Checkpoint>& cps, uint64_t nonce) {
  return ledger::testing::MakeTxOf(genesis, org, OrgKey(org), cps, nonce);
}

// One transaction of a block: who writes it, and what.
struct TxSpec {
  std::string org;
  std::vector<v1::Checkpoint> checkpoints;
};

// Blocks for LotGraph::ApplyBlock and LineageIndex::Apply without a ledger: a header with the
// height and a hash chain, and signed transactions.
class BlockMaker {
 public:
  explicit BlockMaker(ledger::Genesis genesis = ledger::testing::TestGenesis())
      : genesis_(std::move(genesis)) {}
  ledger::ParsedBlock Next(const std::vector<TxSpec>& txs) {
    std::vector<ledger::ParsedTx> parsed;
    for (const TxSpec& t : txs)
      parsed.push_back(CheckpointTx(genesis_, t.org, t.checkpoints, ++nonce_));
    v1::BlockHeader h;
    h.set_schema_version(1);
    h.set_height(++height_);
    h.set_previous_hash(HashBytes(previous_));
    h.set_tx_count(static_cast<uint32_t>(parsed.size()));
    h.set_txs_root(HashBytes(ledger::TxsRoot(parsed)));
    ledger::ParsedBlock b = ledger::MakeBlock(h, std::move(parsed));
    previous_ = b.hash;
    return b;
  }
  // One block of one transaction by org "a".
  ledger::ParsedBlock Next(const std::vector<v1::Checkpoint>& cps, const std::string& org = "a") {
    return Next(std::vector<TxSpec>{{org, cps}});
  }
  const ledger::Genesis& genesis() const { return genesis_; }

 private:
  ledger::Genesis genesis_;
  uint64_t height_ = 0;
  uint64_t nonce_ = 0;
  Hash32 previous_{};
};

// A fresh folder, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tracery-lineage-XXXXXX";
    TRACERY_CHECK(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A real ledger in a folder: blocks built, certified by "a-node" and appended.
class TestLedger {
 public:
  explicit TestLedger(const std::string& dir) : genesis_(ledger::testing::TestGenesis()) {
    auto l = ledger::Ledger::Open(dir, genesis_);
    TRACERY_CHECK(l.ok());
    ledger_ = std::move(l).value();
  }
  ledger::ParsedBlock Commit(const std::vector<TxSpec>& txs) {
    std::vector<ledger::ParsedTx> parsed;
    for (const TxSpec& t : txs)
      parsed.push_back(CheckpointTx(genesis_, t.org, t.checkpoints, ++nonce_));
    ledger::BuiltBlock built = ledger_->BuildBlock(std::move(parsed), "a-node", 0, 1700000000000);
    TRACERY_CHECK(built.rejected.empty());
    const ledger::ParsedBlock& b = built.block;
    const v1::CommitCertificate c = ledger::testing::Certify(genesis_, b);
    TRACERY_CHECK(ledger_->Append(b, &c).ok());
    return b;
  }
  ledger::Ledger& ledger() { return *ledger_; }
  const ledger::Genesis& genesis() const { return genesis_; }

 private:
  ledger::Genesis genesis_;
  std::unique_ptr<ledger::Ledger> ledger_;
  uint64_t nonce_ = 0;
};

}  // namespace tracery::lineage::testing
