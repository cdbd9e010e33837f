// The tracery subcommands. Each takes the arguments after its name and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace tracery::cli {

using Argv = std::vector<std::string>;

int GenesisCommand(const Argv& argv);
int DevnetCommand(const Argv& argv);
int CheckpointCommand(const Argv& argv);
int ProofCommand(const Argv& argv);
int LedgerCommand(const Argv& argv);
int EventsCommand(const Argv& argv);
int VerifyCommand(const Argv& argv);
int LineageCommand(const Argv& argv);
int RecallCommand(const Argv& argv);
int InventoryCommand(const Argv& argv);
int HoldsCommand(const Argv& argv);
int ExceptionsCommand(const Argv& argv);
int ReplenishCommand(const Argv& argv);
int MasterdataCommand(const Argv& argv);
int ErpCommand(const Argv& argv);
int GatewayCommand(const Argv& argv);

// The folder of the running executable (to find traceryd beside tracery).
std::string ExecutableDir();

}  // namespace tracery::cli
