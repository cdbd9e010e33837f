// Key files: one Ed25519 private key seed as lowercase hex on one line. Written with mode 0600
// and synced; a key file that the group or others may read is refused, as ssh refuses one.
#pragma once

#include <string>

#include "tracery/core/crypto.h"

namespace tracery {

// Fails if `path` exists (keys are never silently overwritten).
Status WriteKeyFile(const std::string& path, const PrivateKey& key);
Result<PrivateKey> ReadKeyFile(const std::string& path);

// Writes `contents` to `path` atomically (temporary file, fsync, rename, fsync of the folder)
// with the given mode.
Status WriteFileAtomic(const std::string& path, const std::string& contents, int mode = 0644);
Result<std::string> ReadFile(const std::string& path);

}  // namespace tracery
