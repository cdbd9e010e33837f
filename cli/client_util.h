// Helpers for subcommands that talk to a node: --node URL and --token T (or --token-file F).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "args.h"
#include "http_client.h"

namespace tracery::cli {

// Flags every networked subcommand takes.
inline const std::set<std::string> kClientFlags = {"node", "token", "token-file"};

Result<std::unique_ptr<client::HttpClient>> ConnectFromArgs(const Args& args);

// Sends one request to the node and parses the JSON answer into *out. On failure prints why
// and returns the exit code: kExitNegative for 404 (the thing asked for does not exist),
// kExitUsage for any other refusal or transport error.
std::optional<int> CallNode(const Args& args, const std::string& method, const std::string& target,
                            const std::string& body, const std::string& content_type,
                            nlohmann::json* out);

}  // namespace tracery::cli
