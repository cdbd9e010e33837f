// End-to-end tests through the real binaries: traceryd processes on loopback, the HTTP API,
// the tracery CLI, kill -9 and restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "cluster.h"
#include "tracery/core/encoding.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/proof.h"

namespace tracery::e2e {
namespace {

using nlohmann::json;

std::string EventId(int i) {
  return "urn:uuid:00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
}

TEST(NodeE2E, SubmitCommitProveAndVerifyOffline) {
  Consortium c("acme");
  ASSERT_TRUE(c.Start(0));
  auto admin = c.Client(0, "admin");
  auto r = admin->Request("POST", "/v1/checkpoints?wait=committed", CheckpointJson(EventId(1)));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  json ack = json::parse(r->body);
  const std::string tx_id = ack["txId"];
  EXPECT_EQ(ack["height"], 1);
  EXPECT_EQ(ack["position"], 0);

  // A bulk transaction of 1,000 checkpoints, acknowledged before commit (202).
  json bulk = json::array();
  for (int i = 0; i < 1000; ++i) bulk.push_back(json::parse(CheckpointJson(EventId(10 + i), i)));
  r = admin->Request("POST", "/v1/checkpoints", bulk.dump());
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string bulk_id = json::parse(r->body)["txId"];

  auto auditor = c.Client(0, "auditor");
  // Accepted is not committed yet: wait until its proof is served.
  for (int attempt = 0; attempt < 400; ++attempt) {
    r = auditor->Request("GET", "/v1/proofs/tx/" + bulk_id);
    if (r.ok() && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(r->status, 200) << "the accepted bulk transaction was not committed";
  r = auditor->Request("GET", "/v1/proofs/tx/" + tx_id);
  ASSERT_EQ(r->status, 200) << r->body;
  const ledger::Genesis genesis = ledger::Genesis::Load(c.dir() + "/genesis.json").value();
  auto bundle = ledger::ProofFromJson(json::parse(r->body));
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  auto verified = ledger::VerifyProof(*bundle, genesis);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->org, "acme");
  EXPECT_EQ(verified->checkpoints[0].event_id(), EventId(1));
  EXPECT_EQ(verified->checkpoints[0].biz_step(), "https://ref.gs1.org/cbv/BizStep-shipping");

  // The CLI fetches an event's proof (percent-encoded id) and verifies it offline.
  const std::string proof_file = c.dir() + "/event-proof.json";
  EXPECT_EQ(RunCommand(Bin("tracery") + " proof get --node " + c.url(0) + " --token " +
                c.token(0, "auditor") + " --out " + proof_file + " '" + EventId(500) + "'"),
            0);
  std::string out;
  EXPECT_EQ(RunCommand(Bin("tracery") + " proof verify --genesis " + c.dir() + "/genesis.json " +
                    proof_file,
                &out),
            0)
      << out;
  EXPECT_NE(out.find("VALID"), std::string::npos);
  EXPECT_NE(out.find(bulk_id), std::string::npos);
  // A tampered proof fails with exit code 1, naming the failed check.
  auto proof_text = ReadFile(proof_file);
  ASSERT_TRUE(proof_text.ok()) << proof_text.status().ToString();
  json tampered = json::parse(*proof_text);
  tampered["proofs"][0]["checkpoints"][0]["index"] = 3;
  ASSERT_TRUE(WriteFileAtomic(proof_file, tampered.dump()).ok());
  EXPECT_EQ(RunCommand(Bin("tracery") + " proof verify --genesis " + c.dir() + "/genesis.json " +
                    proof_file,
                &out),
            1);
  EXPECT_NE(out.find("INVALID: checkpoint 0 in transaction"), std::string::npos) << out;

  // Ledger reads and the consistency proof between two log sizes.
  r = auditor->Request("GET", "/v1/ledger/head");
  json head = json::parse(r->body);
  EXPECT_EQ(head["logSize"], 1001);
  r = auditor->Request("GET", "/v1/proofs/consistency?from=1&to=1001");
  ASSERT_EQ(r->status, 200) << r->body;
  auto cons = ledger::ConsistencyFromJson(json::parse(r->body)).value();
  EXPECT_TRUE(ledger::VerifyConsistency(cons.old_size, cons.new_size, cons.old_root,
                                        cons.new_root, cons.path)
                  .ok());
  EXPECT_EQ(HashHex(cons.new_root), head["logRoot"]);
  r = auditor->Request("GET", "/v1/ledger/blocks/1");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["txs"][0]["txId"], tx_id);
  r = auditor->Request("GET", "/metrics");
  EXPECT_NE(r->body.find("tracery_checkpoints_committed_total 1001"), std::string::npos);

  // SIGTERM stops cleanly; the stopped node's ledger passes the audit.
  EXPECT_EQ(c.Stop(0, SIGTERM), 0);
  EXPECT_EQ(RunCommand(Bin("tracery") + " ledger audit --data " + c.org_dir(0) + "/data", &out), 0)
      << out;
  EXPECT_NE(out.find("1001 checkpoints"), std::string::npos) << out;
}

TEST(NodeE2E, ErrorsAreSpecificProblemsAndChangeNothing) {
  Consortium c("acme");
  ASSERT_TRUE(c.Start(0));
  auto anon = client::HttpClient::Create(c.url(0)).value();
  auto r = anon->Request("GET", "/healthz");
  EXPECT_EQ(r->status, 200);
  r = anon->Request("GET", "/v1/ledger/head");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->content_type, "application/problem+json");
  anon->set_bearer_token("not-a-token");
  EXPECT_EQ(anon->Request("GET", "/v1/ledger/head")->status, 401);

  auto auditor = c.Client(0, "auditor");
  r = auditor->Request("POST", "/v1/checkpoints", CheckpointJson(EventId(1)));
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("auditor"), std::string::npos);

  auto admin = c.Client(0, "admin");
  r = admin->Request("POST", "/v1/checkpoints", "{\"eventID\": ");
  EXPECT_EQ(r->status, 400);
  json problem = json::parse(r->body);
  EXPECT_EQ(problem["status"], 400);
  EXPECT_EQ(problem["type"], "/problems/invalid-checkpoint");
  json misspelt = json::parse(CheckpointJson(EventId(2)));
  misspelt["bizStep"] = "shiping";
  r = admin->Request("POST", "/v1/checkpoints", misspelt.dump());
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("bizStep"), std::string::npos) << r->body;
  r = admin->Request("POST", "/v1/checkpoints?wait=soon", CheckpointJson(EventId(3)));
  EXPECT_EQ(r->status, 400);
  r = admin->Request("POST", "/v1/checkpoints", std::string(17 << 20, ' '));
  EXPECT_EQ(r->status, 413);
  admin = c.Client(0, "admin");  // the server closed that connection
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(json::parse(CheckpointJson(EventId(i))));
  EXPECT_EQ(admin->Request("POST", "/v1/checkpoints", too_many.dump())->status, 400);
  EXPECT_EQ(admin->Request("GET", "/v1/nothing")->status, 404);
  EXPECT_EQ(admin->Request("DELETE", "/v1/ledger/head")->status, 405);
  EXPECT_EQ(admin->Request("GET", "/v1/ledger/blocks/abc")->status, 400);
  EXPECT_EQ(admin->Request("GET", "/v1/ledger/blocks/7")->status, 404);
  EXPECT_EQ(admin->Request("GET", "/v1/proofs/tx/zz")->status, 400);
  EXPECT_EQ(admin->Request("GET", "/v1/proofs/events/urn%3Auuid%3Anone")->status, 404);
  EXPECT_EQ(admin->Request("GET", "/v1/proofs/consistency?from=5&to=1")->status, 404);
  // Nothing of the refused requests reached the ledger.
  r = admin->Request("GET", "/v1/ledger/head");
  EXPECT_EQ(json::parse(r->body)["height"], 0);
}

TEST(NodeE2E, KillNineLosesNothingAcknowledgedAndIdempotencyKeysSurvive) {
  Consortium c("acme");
  ASSERT_TRUE(c.Start(0));
  const int kClients = 4;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // idempotency key -> txId
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      auto admin = c.Client(0, "admin");
      for (int i = 0; !stop.load(); ++i) {
        const int n = t * 1000000 + i;
        const std::string key = "key-" + std::to_string(n);
        auto r = admin->Request("POST", "/v1/checkpoints", CheckpointJson(EventId(n), n),
                                {{"Idempotency-Key", key}});
        if (!r.ok()) return;  // the node died under us: this one was not acknowledged
        if (r->status != 202) continue;
        std::lock_guard lock(mu);
        acked[key] = json::parse(r->body)["txId"];
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(c.Stop(0, SIGKILL), -SIGKILL);
  stop = true;
  for (std::thread& t : clients) t.join();
  ASSERT_GT(acked.size(), 50u);

  ASSERT_TRUE(c.Start(0));
  auto admin = c.Client(0, "admin");
  // Every acknowledged transaction is committed after the restart.
  for (const auto& [key, tx_id] : acked) {
    bool found = false;
    for (int attempt = 0; attempt < 200 && !found; ++attempt) {
      auto r = admin->Request("GET", "/v1/proofs/tx/" + tx_id);
      found = r.ok() && r->status == 200;
      if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(found) << "acknowledged transaction " << tx_id << " (" << key << ") was lost";
  }
  // The same Idempotency-Key with the same body gives the original txId, once.
  const auto& [key, tx_id] = *acked.begin();
  const int n = std::stoi(key.substr(4));
  auto r = admin->Request("POST", "/v1/checkpoints?wait=committed", CheckpointJson(EventId(n), n),
                          {{"Idempotency-Key", key}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["txId"], tx_id);
  // The same key with another body is refused.
  r = admin->Request("POST", "/v1/checkpoints", CheckpointJson(EventId(n + 7), n),
                     {{"Idempotency-Key", key}});
  EXPECT_EQ(r->status, 422) << r->body;
  // No transaction was committed twice: the ledger holds exactly the distinct ones.
  EXPECT_EQ(c.Stop(0, SIGTERM), 0);
  std::string out;
  ASSERT_EQ(RunCommand(Bin("tracery") + " ledger audit --format json --data " + c.org_dir(0) + "/data",
                &out),
            0)
      << out;
  const uint64_t committed = json::parse(out)["txs"];
  EXPECT_GE(committed, acked.size());
}

TEST(NodeE2E, OtherOrganisationsSubmitThroughTheSoloValidator) {
  Consortium c("grower,maker");
  ASSERT_TRUE(c.Start(0));
  ASSERT_TRUE(c.Start(1));
  auto maker = c.Client(1, "admin");
  auto r = maker->Request("POST", "/v1/checkpoints?wait=committed", CheckpointJson(EventId(1)));
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string tx_id = json::parse(r->body)["txId"];
  // The validator's ledger holds it, signed by the maker's node for org maker.
  auto validator = c.Client(0, "auditor");
  r = validator->Request("GET", "/v1/proofs/tx/" + tx_id);
  ASSERT_EQ(r->status, 200) << r->body;
  const ledger::Genesis genesis = ledger::Genesis::Load(c.dir() + "/genesis.json").value();
  auto v = ledger::VerifyProof(ledger::ProofFromJson(json::parse(r->body)).value(), genesis);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->org, "maker");
  EXPECT_EQ(v->signer, "maker-node");
  // A principal of one org cannot write through another org's node.
  auto grower = c.Client(0, "admin");
  r = grower->Request("POST", "/v1/checkpoints", CheckpointJson(EventId(2)));
  EXPECT_EQ(r->status, 202);
  // Both ledgers reach the same head.
  json h0, h1;
  for (int i = 0; i < 200; ++i) {
    h0 = json::parse(validator->Request("GET", "/v1/ledger/head")->body);
    h1 = json::parse(c.Client(1, "auditor")->Request("GET", "/v1/ledger/head")->body);
    if (h0["height"] == 2 && h1 == h0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(h0["height"], 2);
  EXPECT_EQ(h1, h0);
  // The follower survives a kill -9 and catches up.
  EXPECT_EQ(c.Stop(1, SIGKILL), -SIGKILL);
  r = grower->Request("POST", "/v1/checkpoints?wait=committed", CheckpointJson(EventId(3)));
  ASSERT_EQ(r->status, 200);
  ASSERT_TRUE(c.Start(1));
  for (int i = 0; i < 200; ++i) {
    h1 = json::parse(c.Client(1, "auditor")->Request("GET", "/v1/ledger/head")->body);
    if (h1["height"] == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(h1["height"], 3);
}

TEST(NodeE2E, RefusesToStartOnABrokenConfigurationOrKey) {
  Consortium c("acme");
  std::string out;
  EXPECT_EQ(RunCommand(Bin("traceryd") + " --config " + c.dir() + "/missing.json"), 2);
  ::chmod((c.org_dir(0) + "/node.key").c_str(), 0644);
  EXPECT_EQ(RunCommand(Bin("traceryd") + " --config " + c.org_dir(0) + "/node.json 2>&1", &out), 1);
  ::chmod((c.org_dir(0) + "/node.key").c_str(), 0600);
  EXPECT_EQ(RunCommand(Bin("tracery") + " genesis init --consensus pbft --orgs x --out " + c.dir() + "/r"),
            2);
  EXPECT_EQ(RunCommand(Bin("tracery") + " bogus"), 2);
  EXPECT_EQ(RunCommand(Bin("tracery") + " proof verify --help"), 0);
}

}  // namespace
}  // namespace tracery::e2e
