#include "tracery/consensus/solo.h"

namespace tracery::consensus {

Status SoloEngine::Propose(std::string proposal) {
  ASSIGN_OR_RETURN(ProposalOps::Info info, ops_->Inspect(proposal));
  Committed c;
  c.index = info.height;
  v1::CommitCertificate& cert = c.certificate.emplace();
  cert.set_schema_version(1);
  cert.set_height(info.height);
  cert.set_block_hash(HashBytes(info.hash));
  cert.set_term(0);
  *cert.add_signatures() = ops_->SignVote(info.height, info.hash, 0);
  c.proposal = std::move(proposal);
  committed_.push_back(std::move(c));
  return Status::Ok();
}

Status SoloEngine::Step(const Message& message) {
  return FailedPrecondition("solo consensus has no peers; message from '" + message.from +
                            "' dropped");
}

Ready SoloEngine::GetReady() {
  Ready rd;
  rd.committed.assign(committed_.begin() + static_cast<long>(handed_out_), committed_.end());
  handed_out_ = committed_.size();
  return rd;
}

void SoloEngine::Advance(const Ready& ready) {
  TRACERY_CHECK(ready.committed.size() <= committed_.size());
  committed_.erase(committed_.begin(),
                   committed_.begin() + static_cast<long>(ready.committed.size()));
  handed_out_ -= ready.committed.size();
}

}  // namespace tracery::consensus
