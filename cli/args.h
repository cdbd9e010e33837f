// Command-line arguments of the tracery subcommands, and their exit codes.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tracery/core/status.h"

namespace tracery::cli {

// Exit codes that scripts can rely on.
constexpr int kExitOk = 0;
constexpr int kExitNegative = 1;  // a negative answer: an invalid proof, a failed audit
constexpr int kExitUsage = 2;     // usage, I/O or network errors

class Args {
 public:
  // Parses `--name value`, `--name=value` and the boolean `--name` (names in `booleans`);
  // everything else is positional. Unknown flags are refused.
  static Result<Args> Parse(const std::vector<std::string>& argv,
                            const std::set<std::string>& with_value,
                            const std::set<std::string>& booleans);

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  Result<std::string> Require(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // --format, checked against the formats a command offers (the first is the default).
  Result<std::string> Format(const std::vector<std::string>& offered) const;

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Prints a command's help to stdout and returns kExitOk.
int PrintHelp(const char* help);
// When argv names no subcommand or asks for help: prints the help and returns the exit code
// (kExitUsage when nothing was given, kExitOk for --help).
std::optional<int> HelpForSubcommand(const std::vector<std::string>& argv, const char* help);

// Prints "tracery: <message>" to stderr and returns kExitUsage.
int Fail(const Status& status);
int Fail(const std::string& message);

}  // namespace tracery::cli
