// Joining namespaces named by path and describing the new ones to create.
#pragma once

#include <sys/types.h>

#include "absl/status/status.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

// CLONE_NEW* flags of the namespaces the spec asks to create (no path).
int NewNamespaceFlags(const Spec& spec);

// setns() into every namespace the spec names by path; the user namespace
// first, so that the rest are joined with its privileges.
absl::Status JoinNamespaces(const Spec& spec);

// setns() into the namespaces of a running process (for exec): every one of
// `types` whose inode differs from ours.
absl::Status JoinProcessNamespaces(pid_t pid, const std::vector<NsType>& types);

// Writes /proc/PID/uid_map and gid_map (and "deny" to setgroups when the
// caller is not root in its namespace, as the kernel requires).
absl::Status WriteIdMappings(pid_t pid, const Spec& spec);

// Writes /proc/self/timens_offsets (after unshare(CLONE_NEWTIME), before
// any process enters the namespace).
absl::Status WriteTimeOffsets(const Spec& spec);

}  // namespace berth::runtime
