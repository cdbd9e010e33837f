#include "client_util.h"

#include <cstdio>
#include <nlohmann/json.hpp>

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

std::optional<int> CallNode(const Args& args, const std::string& method, const std::string& target,
                            const std::string& body, const std::string& content_type,
                            nlohmann::json* out) {
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  std::map<std::string, std::string> headers;
  if (!content_type.empty()) headers["Content-Type"] = content_type;
  auto res = (*client)->Request(method, target, body, headers);
  if (!res.ok()) return Fail(res.status());
  if (res->status == 404) {
    std::fprintf(stderr, "tracery: %s\n", client::DescribeError(*res).c_str());
    return kExitNegative;
  }
  if (res->status / 100 != 2) return Fail(client::DescribeError(*res));
  *out = nlohmann::json::parse(res->body, nullptr, false);
  if (!out->is_object()) return Fail("the node's answer is not JSON");
  return std::nullopt;
}

}  // namespace tracery::cli
