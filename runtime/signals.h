// Signal names as runc's `kill` takes them: "KILL", "SIGKILL", "9".
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace berth::runtime {

// InvalidArgument "unknown signal \"X\"" for anything else.
absl::StatusOr<int> ParseSignal(const std::string& text);

}  // namespace berth::runtime
