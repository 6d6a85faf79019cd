// linux.seccomp -> a libseccomp filter. Compiled before the container's
// process drops privileges (so errors reach `create`), loaded as late as
// possible: just before execve when noNewPrivileges is set, otherwise while
// CAP_SYS_ADMIN is still held (the kernel requires one or the other), as runc.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace berth::runtime {

class SeccompFilter {
 public:
  ~SeccompFilter();
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;

  // Loads the filter into the calling process (seccomp(2)). With a NOTIFY
  // action, the listener fd is sent to listener_path (with the state JSON).
  absl::Status Load(const std::string& state_json);

 private:
  friend absl::StatusOr<std::unique_ptr<SeccompFilter>> CompileSeccomp(const nlohmann::json&);
  SeccompFilter() = default;
  // Loads ctx_ with the -ENOSYS stub in front (see seccomp.cc); returns
  // the notify listener fd, or -1.
  absl::StatusOr<int> LoadWithEnosysStub();

  void* ctx_ = nullptr;  // scmp_filter_ctx
  // > 0: syscalls above this number (native arch) get -ENOSYS, not the
  // default action, so that a program can fall back from a syscall newer
  // than the profile (clone3 -> clone), as runc does.
  int last_syscall_ = 0;
  unsigned flags_ = 0;  // SECCOMP_FILTER_FLAG_* for seccomp(2)
  bool has_notify_ = false;
  std::string listener_path_;
  std::string listener_metadata_;
};

// Null JSON (no linux.seccomp) gives a null filter. Errors name the field:
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_NOPE"`.
absl::StatusOr<std::unique_ptr<SeccompFilter>> CompileSeccomp(const nlohmann::json& seccomp);

}  // namespace berth::runtime
