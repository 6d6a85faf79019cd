// berth-manager's command line and serving loop:
//
//   berth-manager [--root DIR] [--state DIR] [--address SOCK] [--log-level LEVEL]
//                 [--shim PATH] [--runtime PATH]
//
// Opens the manager (recovering tasks and collecting garbage), serves gRPC
// on the unix socket until SIGTERM or SIGINT, then stops accepting calls.
// Shims and their containers keep running: a restarted manager finds them.
#pragma once

#include <string>
#include <vector>

namespace berth::manager {

int ServerMain(const std::vector<std::string>& args);

}  // namespace berth::manager
