// Semantic checks of a parsed spec, as a table of named validators (runc's
// libcontainer/configs/validate). Each names the field and value it rejects.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

struct ValidateOptions {
  std::string bundle;           // to resolve a relative root.path
  bool require_process = true;  // create/run need process.args
};

absl::Status ValidateSpec(const Spec& spec, const ValidateOptions& opts);

// Checks a capability name ("CAP_SYS_ADMIN"); the set name is for the error.
absl::Status ValidateCapabilityName(const std::string& name, const std::string& field);

}  // namespace berth::runtime
