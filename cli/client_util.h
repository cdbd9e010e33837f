// Helpers for subcommands that talk to a node: --node URL and --token T (or --token-file F).
#pragma once

#include <memory>
#include <string>

#include "args.h"
#include "http_client.h"

namespace tracery::cli {

// Flags every networked subcommand takes.
inline const std::set<std::string> kClientFlags = {"node", "token", "token-file"};

Result<std::unique_ptr<client::HttpClient>> ConnectFromArgs(const Args& args);

}  // namespace tracery::cli
