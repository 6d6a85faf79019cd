// cgroup v2 has no devices controller: device rules are an eBPF program of
// type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup (as
// runc's devicefilter). The program checks the rules last-first, the first
// match decides, and anything unmatched is denied.
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "absl/status/status.h"
#include "runtime/cgroups/resources.h"

namespace berth::runtime {

// One eBPF instruction, laid out as the kernel's struct bpf_insn (whose
// register bit-fields GCC 12 mis-warns about inside std::vector).
struct BpfInsn {
  uint8_t code;
  uint8_t regs;  // dst in the low nibble, src in the high one
  int16_t off;
  int32_t imm;
};
static_assert(sizeof(BpfInsn) == sizeof(struct bpf_insn));

// The program for rules (already including DefaultAllowedDevices()).
std::vector<BpfInsn> DeviceFilterProgram(const std::vector<DeviceRule>& rules);

// Loads the program and attaches it to the cgroup v2 directory, replacing
// the device programs attached there before.
absl::Status AttachDeviceFilter(const std::string& cgroup_dir,
                                const std::vector<DeviceRule>& rules);

}  // namespace berth::runtime
