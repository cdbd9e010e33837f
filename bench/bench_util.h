// Small helpers shared by the benchmark binaries: flags, percentiles, temporary folders and the
// signed transactions they write. Benchmarks are tools at the edge: they may use threads, the
// wall clock and the file system freely.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/ledger/block.h"
#include "tracery/ledger/merkle.h"

namespace tracery::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// `--name value` and `--name=value` for names in `with_value`, `--name` for names in
// `booleans`. Anything else is a usage error: the program prints `usage` and exits 2.
class Flags {
 public:
  Flags(int argc, char** argv, const std::set<std::string>& with_value,
        const std::set<std::string>& booleans, const char* usage) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::printf("%s", usage);
        std::exit(0);
      }
      if (arg.rfind("--", 0) != 0) Usage(usage, "unexpected argument '" + arg + "'");
      std::string name = arg.substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (booleans.count(name) != 0) {
        if (has_value) Usage(usage, "--" + name + " takes no value");
        values_[name] = "true";
      } else if (with_value.count(name) != 0) {
        if (!has_value) {
          if (i + 1 >= argc) Usage(usage, "--" + name + " needs a value");
          value = argv[++i];
        }
        values_[name] = value;
      } else {
        Usage(usage, "unknown flag --" + name);
      }
    }
  }

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  double Double(const std::string& name, double fallback) const {
    return Has(name) ? std::atof(Get(name).c_str()) : fallback;
  }
  int64_t Int(const std::string& name, int64_t fallback) const {
    return Has(name) ? std::atoll(Get(name).c_str()) : fallback;
  }

 private:
  [[noreturn]] static void Usage(const char* usage, const std::string& why) {
    std::fprintf(stderr, "%s\n%s", why.c_str(), usage);
    std::exit(2);
  }
  std::map<std::string, std::string> values_;
};

// The q-quantile (0..1) of `v` by the nearest-rank method; 0 when `v` is empty.
inline double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// A fresh folder under $TMPDIR (or /tmp), removed with its contents when this goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/" + prefix + "XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    TRACERY_CHECK(::mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A checkpoint like the ones the node anchors for an EPCIS ObjectEvent: an urn:uuid event id,
// one SGTIN and a payload hash. `serial` makes the event id and the EPC unique.
inline v1::Checkpoint BenchCheckpoint(uint64_t run, uint64_t serial) {
  char id[64];
  std::snprintf(id, sizeof(id), "urn:uuid:%08llx-%04llx-4%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>(run & 0xffffffffu),
                static_cast<unsigned long long>((serial >> 48) & 0xffff),
                static_cast<unsigned long long>((serial >> 36) & 0xfff),
                static_cast<unsigned long long>((serial >> 24) & 0xfff),
                static_cast<unsigned long long>(serial & 0xffffffffffffull));
  v1::Checkpoint cp;
  cp.set_schema_version(ledger::kSchemaVersion);
  cp.set_event_id(id);
  cp.set_type("ObjectEvent");
  cp.set_action("OBSERVE");
  cp.set_biz_step("https://ref.gs1.org/cbv/BizStep-shipping");
  cp.set_event_time_ms(1767225600000 + static_cast<int64_t>(serial % 86400000));
  cp.set_read_point("urn:epc:id:sgln:0614141.00001.0");
  cp.add_epc_list("urn:epc:id:sgtin:0614141.107346." + std::to_string(serial));
  cp.set_payload_hash(HashBytes(Sha256(id)));
  return cp;
}

// The header bytes a writer signs for a transaction of `checkpoints` (the node's layout).
inline std::string TxHeaderBytes(const std::string& org, const PublicKey& key, uint64_t nonce,
                                 uint32_t checkpoint_count, const Hash32& checkpoints_root) {
  v1::TxHeader h;
  h.set_schema_version(ledger::kSchemaVersion);
  h.set_org(org);
  h.set_key_id(key.KeyId());
  h.set_nonce(nonce);
  h.set_time_ms(1767225600000 + static_cast<int64_t>(nonce % 1000000));
  h.set_checkpoint_count(checkpoint_count);
  h.set_checkpoints_root(HashBytes(checkpoints_root));
  return h.SerializeAsString();
}

// A transaction of `org` signed by `key` for the network `genesis_hash`, carrying
// `count` checkpoints with serials first_serial.. — what the node's Submit builds.
inline ledger::ParsedTx BenchTx(const Hash32& genesis_hash, const std::string& org,
                                const PrivateKey& key, uint64_t run, uint64_t first_serial,
                                uint32_t count) {
  v1::Tx tx;
  tx.set_schema_version(ledger::kSchemaVersion);
  std::vector<Hash32> leaves;
  leaves.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string* bytes = tx.add_checkpoints();
    *bytes = BenchCheckpoint(run, first_serial + i).SerializeAsString();
    leaves.push_back(ledger::LeafHash(*bytes));
  }
  tx.set_header(TxHeaderBytes(org, key.public_key(), (run << 32) ^ first_serial, count,
                              ledger::CheckpointsRoot(leaves)));
  tx.set_signature(key.Sign(Purpose::kTx, genesis_hash, tx.header()));
  auto parsed = ledger::ParseTx(tx.SerializeAsString());
  TRACERY_CHECK(parsed.ok());
  return std::move(parsed).value();
}

// A solo certificate: the one validator's vote for the block.
inline v1::CommitCertificate SoloCertificate(const ledger::ParsedBlock& block,
                                             const std::string& node_id, const PrivateKey& key,
                                             const Hash32& genesis_hash) {
  v1::CommitCertificate cert;
  cert.set_schema_version(ledger::kSchemaVersion);
  cert.set_height(block.header.height());
  cert.set_block_hash(HashBytes(block.hash));
  cert.set_term(block.header.term());
  v1::CommitSignature* sig = cert.add_signatures();
  sig->set_node_id(node_id);
  sig->set_signature(
      key.Sign(Purpose::kCommit, genesis_hash,
               ledger::CommitVotePayload(block.header.height(), block.hash, block.header.term())));
  return cert;
}

}  // namespace tracery::bench
