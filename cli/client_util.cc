#include "client_util.h"

#include "tracery/core/key_file.h"

namespace tracery::cli {

Result<std::unique_ptr<client::HttpClient>> ConnectFromArgs(const Args& args) {
  ASSIGN_OR_RETURN(std::string url, args.Require("node"));
  std::string token = args.Get("token");
  if (token.empty() && args.Has("token-file")) {
    ASSIGN_OR_RETURN(token, ReadFile(args.Get("token-file")));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }
  if (token.empty()) return InvalidArgument("--token or --token-file is required");
  ASSIGN_OR_RETURN(auto client, client::HttpClient::Create(url));
  client->set_bearer_token(token);
  return client;
}

}  // namespace tracery::cli
