// Put/Get throughput of the encrypted off-chain store for 1 KiB blobs, beside a plain LevelDB
// doing the same synced puts and reads in the same run (the bound: fsync and LevelDB itself).
//   tracery_bench_offchain [N]   (default 2000 blobs; a temporary folder under /tmp)
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tracery/core/leveldb.h"
#include "tracery/offchain_store/blob_store.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
double Since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}
void Report(const char* what, size_t n, double s) {
  std::printf("%-44s %8zu ops %9.3f s %10.0f ops/s\n", what, n, s, n / s);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tracery;
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  const size_t kBatch = 100;
  namespace fs = std::filesystem;
  const fs::path root =
      fs::temp_directory_path() / ("offchain-bench-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  std::vector<std::string> blobs;
  for (size_t i = 0; i < 2 * n; ++i) {
    std::string b = RandomBytes(1024);
    const std::string tag = std::to_string(i);
    b.replace(0, tag.size(), tag);  // distinct blobs of exactly 1 KiB
    blobs.push_back(b);
  }
  std::vector<Hash32> hashes;
  {
    auto store = offchain_store::LevelDbBlobStore::Open((root / "offchain").string());
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    auto t0 = SteadyClock::now();
    for (size_t i = 0; i < n; ++i) hashes.push_back(*(*store)->Put(blobs[i], "telemetry-window"));
    Report("store Put, 1 KiB, one synced write each", n, Since(t0));
    t0 = SteadyClock::now();
    for (size_t i = n; i < 2 * n; i += kBatch) {
      std::vector<std::string_view> views(blobs.begin() + i,
                                          blobs.begin() + std::min(2 * n, i + kBatch));
      auto h = (*store)->PutAll(views, "telemetry-window");
      hashes.insert(hashes.end(), h->begin(), h->end());
    }
    Report("store PutAll, 1 KiB, 100 per synced write", n, Since(t0));
    t0 = SteadyClock::now();
    size_t bytes = 0;
    for (const Hash32& h : hashes) bytes += (*store)->Get(h)->size();
    Report("store Get (decrypt + SHA-256 check), 1 KiB", hashes.size(), Since(t0));
    if (bytes != 2 * n * 1024) return 1;
    const size_t erasures = std::min<size_t>(100, n);
    t0 = SteadyClock::now();
    for (size_t i = 0; i < erasures; ++i) {
      auto e = (*store)->Erase(hashes[i], "bench", "");
      if (!e.ok()) {
        std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
        return 1;
      }
    }
    Report("store Erase one at a time (with compaction)", erasures, Since(t0));
    if (hashes.size() >= erasures + 1000) {
      std::vector<Hash32> many(hashes.begin() + erasures, hashes.begin() + erasures + 1000);
      t0 = SteadyClock::now();
      if (auto e = (*store)->EraseAll(many, "bench", ""); !e.ok()) {
        std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
        return 1;
      }
      Report("store EraseAll of 1,000 (one compaction)", many.size(), Since(t0));
    }
  }
  {
    auto db = OpenLevelDb((root / "plain").string(), "plain", 16 << 20);
    leveldb::WriteOptions wo;
    wo.sync = true;
    auto t0 = SteadyClock::now();
    for (size_t i = 0; i < n; ++i) (void)(*db)->Put(wo, "b" + HashBytes(hashes[i]), blobs[i]);
    Report("plain LevelDB Put, 1 KiB, synced (bound)", n, Since(t0));
    t0 = SteadyClock::now();
    for (size_t i = n; i < 2 * n; i += kBatch) {
      leveldb::WriteBatch batch;
      for (size_t j = i; j < std::min(2 * n, i + kBatch); ++j) {
        batch.Put("b" + HashBytes(hashes[j]), blobs[j]);
      }
      (void)(*db)->Write(wo, &batch);
    }
    Report("plain LevelDB batch of 100, synced (bound)", n, Since(t0));
    t0 = SteadyClock::now();
    std::string v;
    for (const Hash32& h : hashes) (void)(*db)->Get(CheckedRead(), "b" + HashBytes(h), &v);
    Report("plain LevelDB Get, 1 KiB (bound)", hashes.size(), Since(t0));
  }
  fs::remove_all(root);
  return 0;
}
