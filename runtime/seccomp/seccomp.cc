#include "runtime/seccomp/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/console.h"

namespace berth::runtime {
namespace {

absl::Status Invalid(const std::string& field, const std::string& what, const nlohmann::json& v) {
  return absl::InvalidArgumentError(
      absl::StrCat("linux.seccomp.", field, ": ", what, " ", v.dump()));
}

// SCMP_ACT_ERRNO/TRACE take errnoRet; defaultErrnoRet for the default action.
absl::StatusOr<uint32_t> ParseAction(const nlohmann::json& name, std::optional<uint32_t> ret,
                                     const std::string& field, bool* notify) {
  if (!name.is_string()) return Invalid(field, "expected an action name, got", name);
  const std::string a = name.get<std::string>();
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret.value_or(EPERM));
  if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret.value_or(EPERM));
  if (a == "SCMP_ACT_NOTIFY") {
    *notify = true;
    return SCMP_ACT_NOTIFY;
  }
  return Invalid(field, "unknown action", name);
}

absl::StatusOr<scmp_compare> ParseOp(const nlohmann::json& op, const std::string& field) {
  static const std::map<std::string, scmp_compare> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  auto it = op.is_string() ? kOps.find(op.get<std::string>()) : kOps.end();
  if (it == kOps.end()) return Invalid(field, "unknown operator", op);
  return it->second;
}

absl::StatusOr<uint32_t> ParseArch(const nlohmann::json& arch, const std::string& field) {
  static const std::map<std::string, uint32_t> kArches = {
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},
      {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},
      {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
      {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
      {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
      {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
      {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
      {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
      {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
      {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
      {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
      {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
      {"SCMP_ARCH_S390", SCMP_ARCH_S390},
      {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
      {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
  };
  auto it = arch.is_string() ? kArches.find(arch.get<std::string>()) : kArches.end();
  if (it == kArches.end()) return Invalid(field, "unknown architecture", arch);
  return it->second;
}

// The -ENOSYS stub put in front of libseccomp's program (x86_64 native
// calls only; x32 and other arches go straight to libseccomp's):
//   0 ld arch; 1 jeq X86_64 ? 2 : 6; 2 ld nr; 3 jset x32 bit ? 6 : 4;
//   4 jgt last ? 5 : 6; 5 ret ERRNO(ENOSYS); 6 libseccomp's program
std::vector<sock_filter> EnosysStub(uint32_t last) {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, last, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
  };
}

// libseccomp's compiled program, through a memfd.
absl::StatusOr<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx) {
  UniqueFd fd(memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return ErrnoStatus("memfd_create", "seccomp-bpf");
  int r = seccomp_export_bpf(ctx, fd.get());
  if (r != 0) return ErrnoStatus(-r, "seccomp_export_bpf", "linux.seccomp");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0)
    return absl::InternalError("seccomp_export_bpf: not a BPF program");
  std::vector<sock_filter> prog(size / sizeof(sock_filter));
  if (pread(fd.get(), prog.data(), size, 0) != size) return ErrnoStatus("read", "seccomp-bpf");
  return prog;
}

std::optional<uint32_t> OptionalU32(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint32_t>();
}

}  // namespace

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(static_cast<scmp_filter_ctx>(ctx_));
}

absl::StatusOr<std::unique_ptr<SeccompFilter>> CompileSeccomp(const nlohmann::json& s) {
  if (s.is_null()) return nullptr;
  if (!s.is_object()) return Invalid("", "expected an object, got", s);
  std::unique_ptr<SeccompFilter> f(new SeccompFilter());
  bool notify = false;
  ASSIGN_OR_RETURN(uint32_t default_action,
                   ParseAction(s.value("defaultAction", nlohmann::json()),
                               OptionalU32(s, "defaultErrnoRet"), "defaultAction", &notify));
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  f->ctx_ = ctx;
  // Keep setup working under a filter that would otherwise deny it.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

  if (auto arches = s.find("architectures"); arches != s.end() && arches->is_array()) {
    for (size_t i = 0; i < arches->size(); ++i) {
      ASSIGN_OR_RETURN(uint32_t arch,
                       ParseArch((*arches)[i], absl::StrCat("architectures[", i, "]")));
      int r = seccomp_arch_add(ctx, arch);
      if (r != 0 && r != -EEXIST) return ErrnoStatus(-r, "seccomp_arch_add", (*arches)[i].dump());
    }
  }
  if (auto flags = s.find("flags"); flags != s.end() && flags->is_array()) {
    for (const auto& flag : *flags) {
      std::string name = flag.is_string() ? flag.get<std::string>() : "";
      if (name == "SECCOMP_FILTER_FLAG_LOG") {
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        f->flags_ |= SECCOMP_FILTER_FLAG_LOG;
      } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        f->flags_ |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
      } else if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        f->flags_ |= SECCOMP_FILTER_FLAG_TSYNC;
      } else {
        return Invalid("flags", "unknown flag", flag);
      }
    }
  }

  int last_syscall = 0;
  auto syscalls = s.find("syscalls");
  for (size_t i = 0; syscalls != s.end() && syscalls->is_array() && i < syscalls->size(); ++i) {
    const auto& rule = (*syscalls)[i];
    std::string field = absl::StrCat("syscalls[", i, "]");
    ASSIGN_OR_RETURN(uint32_t action,
                     ParseAction(rule.value("action", nlohmann::json()),
                                 OptionalU32(rule, "errnoRet"), field + ".action", &notify));
    std::vector<scmp_arg_cmp> args;
    if (auto a = rule.find("args"); a != rule.end() && a->is_array()) {
      for (size_t k = 0; k < a->size(); ++k) {
        const auto& arg = (*a)[k];
        std::string af = absl::StrCat(field, ".args[", k, "]");
        ASSIGN_OR_RETURN(scmp_compare op, ParseOp(arg.value("op", nlohmann::json()), af + ".op"));
        unsigned index = arg.value("index", 0u);
        if (index > 5) return Invalid(af + ".index", "must be 0..5, got", arg["index"]);
        args.push_back(
            {index, op, arg.value("value", uint64_t{0}), arg.value("valueTwo", uint64_t{0})});
      }
    }
    auto names = rule.find("names");
    if (names == rule.end() || !names->is_array())
      return Invalid(field + ".names", "expected an array, got", rule);
    for (const auto& n : *names) {
      if (!n.is_string()) return Invalid(field + ".names", "expected a syscall name, got", n);
      int nr = seccomp_syscall_resolve_name(n.get<std::string>().c_str());
      // A name this libseccomp does not know is skipped, as runc does.
      if (nr == __NR_SCMP_ERROR) continue;
      last_syscall = std::max(last_syscall, nr);
      if (action == default_action) continue;  // libseccomp refuses no-op rules
      int r =
          seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.data());
      if (r != 0 && !args.empty()) {
        // Several conditions on one argument must be OR-ed: one rule each.
        r = 0;
        for (const auto& cmp : args) {
          r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
          if (r != 0) break;
        }
      }
      if (r != 0)
        return ErrnoStatus(-r, absl::StrCat("seccomp rule for ", n.get<std::string>(), " in"),
                           field);
    }
  }
  f->has_notify_ = notify;
  // As runc: no stub when the default action lets calls through (allow,
  // log, trace) or already says ENOSYS.
  const bool permissive = default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG ||
                          (default_action & SCMP_ACT_TRACE(0)) == SCMP_ACT_TRACE(0);
  if (!permissive && default_action != SCMP_ACT_ERRNO(ENOSYS) &&
      seccomp_arch_native() == SCMP_ARCH_X86_64) {
    f->last_syscall_ = last_syscall;
  }
  f->listener_path_ = s.value("listenerPath", "");
  f->listener_metadata_ = s.value("listenerMetadata", "");
  if (notify && f->listener_path_.empty()) {
    return absl::InvalidArgumentError(
        "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listenerPath");
  }
  return f;
}

absl::StatusOr<int> SeccompFilter::LoadWithEnosysStub() {
  ASSIGN_OR_RETURN(std::vector<sock_filter> prog, ExportBpf(static_cast<scmp_filter_ctx>(ctx_)));
  std::vector<sock_filter> full = EnosysStub(static_cast<uint32_t>(last_syscall_));
  full.insert(full.end(), prog.begin(), prog.end());
  if (full.size() > BPF_MAXINSNS)
    return absl::InvalidArgumentError("linux.seccomp: too many rules");
  sock_fprog fprog{static_cast<unsigned short>(full.size()), full.data()};
  unsigned flags = flags_ | (has_notify_ ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (r < 0) return ErrnoStatus("seccomp(SET_MODE_FILTER)", "linux.seccomp");
  return has_notify_ ? static_cast<int>(r) : -1;
}

absl::Status SeccompFilter::Load(const std::string& state_json) {
  auto ctx = static_cast<scmp_filter_ctx>(ctx_);
  int listener_fd = -1;
  if (last_syscall_ > 0) {
    ASSIGN_OR_RETURN(listener_fd, LoadWithEnosysStub());
  } else {
    int r = seccomp_load(ctx);
    if (r != 0) return ErrnoStatus(-r, "seccomp_load", "linux.seccomp");
    if (has_notify_) listener_fd = seccomp_notify_fd(ctx);
  }
  if (has_notify_) {
    UniqueFd listener(listener_fd);
    if (!listener) return absl::InternalError("seccomp: no notify fd after load");
    ASSIGN_OR_RETURN(UniqueFd sock, ConnectUnixSocket(listener_path_));
    RETURN_IF_ERROR(SendFd(sock.get(), state_json, listener.get()));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
