// OCI hooks: each runs with the container's state JSON on stdin, its own
// args and env, and an optional timeout; a failure names the hook.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

// Runs hooks in order; stops at the first failure. `stage` names them in
// errors ("createRuntime hook #0 (/usr/bin/x): exit status 1: <stderr>").
absl::Status RunHooks(const std::vector<Hook>& hooks, const std::string& stage,
                      const std::string& state_json);

}  // namespace berth::runtime
