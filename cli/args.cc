#include "args.h"

#include <cstdio>

namespace tracery::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv,
                         const std::set<std::string>& with_value,
                         const std::set<std::string>& booleans) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      a.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (booleans.count(name) != 0) {
      if (value) return InvalidArgument("--" + name + " takes no value");
      a.values_[name] = "true";
    } else if (with_value.count(name) != 0) {
      if (!value) {
        if (i + 1 >= argv.size()) return InvalidArgument("--" + name + " needs a value");
        value = argv[++i];
      }
      a.values_[name] = *value;
    } else {
      return InvalidArgument("unknown flag --" + name);
    }
  }
  return a;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

Result<std::string> Args::Require(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return InvalidArgument("--" + name + " is required");
  return it->second;
}

Result<std::string> Args::Format(const std::vector<std::string>& offered) const {
  std::string f = Get("format", offered.front());
  for (const std::string& o : offered) {
    if (o == f) return f;
  }
  std::string list;
  for (const std::string& o : offered) list += (list.empty() ? "" : ", ") + o;
  return InvalidArgument("--format " + f + " is not offered here (offered: " + list + ")");
}

int PrintHelp(const char* help) {
  std::printf("%s", help);
  return kExitOk;
}

std::optional<int> HelpForSubcommand(const std::vector<std::string>& argv, const char* help) {
  if (!argv.empty() && argv[0] != "--help" && argv[0] != "help") return std::nullopt;
  PrintHelp(help);
  return argv.empty() ? kExitUsage : kExitOk;
}

int Fail(const Status& status) { return Fail(status.message()); }

int Fail(const std::string& message) {
  std::fprintf(stderr, "tracery: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace tracery::cli
