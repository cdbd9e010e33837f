// Access to the third-party EPCIS example documents in shared/data/epcis (see its MANIFEST.md),
// which tests read in place and never copy into the repository.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tracery::epcis::testing {

// The folder of the example documents, from the TRACERY_SHARED_DATA compile definition.
inline std::string EpcisDataDir() { return std::string(TRACERY_SHARED_DATA) + "/epcis"; }

// The text of `relative` (e.g. "gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld"). A missing file
// fails the test that asked for it: the data is part of the test, not optional.
inline std::string ReadDataFile(const std::string& relative) {
  std::ifstream in(EpcisDataDir() + "/" + relative, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "missing test data " << EpcisDataDir() << "/" << relative;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tracery::epcis::testing
