#include "runtime/cgroups/devices_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::runtime {
namespace {

BpfInsn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return BpfInsn{code, static_cast<uint8_t>((dst & 0xf) | ((src & 0xf) << 4)), off, imm};
}

// Registers: r1 ctx; r2 device type; r3 requested access; r4 major; r5 minor.
constexpr uint8_t kType = 2, kAccess = 3, kMajor = 4, kMinor = 5;

int32_t AccessBits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    bits |= c == 'r'   ? BPF_DEVCG_ACC_READ
            : c == 'w' ? BPF_DEVCG_ACC_WRITE
            : c == 'm' ? BPF_DEVCG_ACC_MKNOD
                       : 0;
  }
  return bits;
}

// One rule: the checks jump to the end of the block on mismatch.
std::vector<BpfInsn> RuleBlock(const DeviceRule& r) {
  std::vector<BpfInsn> checks;
  if (r.type != 'a') {
    int32_t t = r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    checks.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, kType, 0, 0, t));
  }
  int32_t acc = AccessBits(r.access);
  if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
    // Match only if the requested access is within the rule's.
    checks.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kAccess, 0, 0));
    checks.push_back(Insn(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, acc));
    checks.push_back(Insn(BPF_JMP | BPF_JNE | BPF_X, 1, kAccess, 0, 0));
  }
  if (r.major && *r.major >= 0)
    checks.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, kMajor, 0, 0, static_cast<int32_t>(*r.major)));
  if (r.minor && *r.minor >= 0)
    checks.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, kMinor, 0, 0, static_cast<int32_t>(*r.minor)));
  std::vector<BpfInsn> block = checks;
  block.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r.allow ? 1 : 0));
  block.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  // Each conditional jump skips to just past this block.
  for (size_t i = 0; i < checks.size(); ++i) {
    if (BPF_CLASS(block[i].code) == BPF_JMP)
      block[i].off = static_cast<int16_t>(block.size() - i - 1);
  }
  return block;
}

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

std::vector<BpfInsn> DeviceFilterProgram(const std::vector<DeviceRule>& rules) {
  // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
  std::vector<BpfInsn> prog;
  prog.reserve(8 + rules.size() * 9);
  prog.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, kType, 1, 0, 0));
  prog.push_back(Insn(BPF_ALU64 | BPF_AND | BPF_K, kType, 0, 0, 0xffff));
  prog.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, kAccess, 1, 0, 0));
  prog.push_back(Insn(BPF_ALU64 | BPF_RSH | BPF_K, kAccess, 0, 0, 16));
  prog.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, kMajor, 1, 4, 0));
  prog.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, kMinor, 1, 8, 0));

  // Later rules override earlier ones: check them first.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    auto block = RuleBlock(*it);
    prog.insert(prog.end(), block.begin(), block.end());
    // A rule that matches everything ends the program: the verifier
    // rejects unreachable instructions.
    if (block.size() == 2) return prog;
  }
  prog.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));  // deny
  prog.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return prog;
}

absl::Status AttachDeviceFilter(const std::string& cgroup_dir,
                                const std::vector<DeviceRule>& rules) {
  std::vector<BpfInsn> prog = DeviceFilterProgram(rules);
  static const char kLicense[] = "Apache";
  char log[4096] = {0};
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd prog_fd(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
  if (!prog_fd) {
    // Load again with the verifier's log, for the error message.
    int err = errno;
    load.log_buf = reinterpret_cast<uint64_t>(log);
    load.log_size = sizeof log;
    load.log_level = 1;
    (void)Bpf(BPF_PROG_LOAD, &load);
    return ErrnoStatus(err, "bpf(BPF_PROG_LOAD) device filter", log);
  }
  UniqueFd cg(open(cgroup_dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!cg) return ErrnoStatus("open", cgroup_dir);

  // What is attached now, to detach once the new program is in place.
  uint32_t old_ids[64];
  union bpf_attr query;
  memset(&query, 0, sizeof query);
  query.query.target_fd = cg.get();
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  query.query.prog_cnt = 64;
  uint32_t old_count = Bpf(BPF_PROG_QUERY, &query) == 0 ? query.query.prog_cnt : 0;

  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = cg.get();
  attach.attach_bpf_fd = prog_fd.get();
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0)
    return ErrnoStatus("bpf(BPF_PROG_ATTACH) device filter to", cgroup_dir);

  for (uint32_t i = 0; i < old_count; ++i) {
    union bpf_attr get;
    memset(&get, 0, sizeof get);
    get.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &get)));
    if (!old) continue;
    union bpf_attr detach;
    memset(&detach, 0, sizeof detach);
    detach.target_fd = cg.get();
    detach.attach_bpf_fd = old.get();
    detach.attach_type = BPF_CGROUP_DEVICE;
    (void)Bpf(BPF_PROG_DETACH, &detach);
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
