// Access to the third-party EDI example files in shared/data/edi (see its MANIFEST.md), which
// tests read in place and never copy into the repository.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tracery::scm_core::testing {

inline std::string EdiDataDir() { return std::string(TRACERY_SHARED_DATA) + "/edi"; }

// The bytes of `relative` ("x12/856_..."); a missing file fails the test that asked for it.
inline std::string ReadEdiFile(const std::string& relative) {
  std::ifstream in(EdiDataDir() + "/" + relative, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "missing test data " << EdiDataDir() << "/" << relative;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tracery::scm_core::testing
