// Capability sets by name (libcap), applied in the order the kernel needs:
// bounding set first (while still privileged), then after the uid switch the
// effective/permitted/inheritable sets, then ambient (which must be a subset
// of permitted and inheritable).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

struct CapSets {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// Names -> bit masks; an unknown name is an InvalidArgument naming it.
absl::StatusOr<CapSets> ResolveCapabilities(const Capabilities& caps);

// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int LastCap();

// PR_CAPBSET_DROP for every capability not in sets.bounding.
absl::Status ApplyBoundingSet(const CapSets& sets);

// capset(effective, permitted, inheritable), then PR_CAP_AMBIENT_RAISE.
absl::Status ApplyCapabilities(const CapSets& sets);

}  // namespace berth::runtime
