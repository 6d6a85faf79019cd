// The typed channel between the runtime and the processes it forks
// (a SOCK_SEQPACKET socketpair, one message per packet).
//
//   runtime (parent)            stage-1 child               container init
//   ----------------            -------------               --------------
//   mkdir cgroups; fork ---->   join v1 cgroups (tasks)
//                               setns(joined namespaces)
//                               unshare(new namespaces)
//   <-- kNeedIdMaps ---------   (only with a new user ns)
//   write uid_map/gid_map
//   --- kIdMapsDone -------->   clone3(CLONE_PARENT |
//                                 CLONE_INTO_CGROUP) ----->  (pid 1 of a new pid ns,
//   <-- kInitPid(pid) -------   exit                          born in its cgroups)
//                                                           prepare rootfs
//   <-- kRunHooks ----------------------------------------  (createRuntime time)
//   run prestart/createRuntime hooks
//   --- kHooksDone ------------------------------------->   createContainer hooks,
//                                                          pivot_root, console, ...
//   <-- kReady ------------------------------------------   block on exec.fifo
//   write state.json, pid-file; exit                       (until `start`), execve
//
// Stage 1 and the init share the child end: the init's kRunHooks may reach
// the runtime before stage 1's kInitPid. Any side may send kError(text)
// instead; the runtime reports that text. With --debug the children also
// send kLog(text) at any time (runc's log pipe): Receive() hands those to
// the parent's logger and waits on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace berth::runtime {

enum class SyncType : uint32_t {
  kNeedIdMaps = 1,
  kIdMapsDone,
  kInitPid,
  kRunHooks,
  kHooksDone,
  kReady,
  kError,
  kLog,
};

const char* SyncTypeName(SyncType t);

struct SyncMessage {
  SyncType type;
  int64_t value = 0;
  std::string text;
};

class SyncChannel {
 public:
  // A connected pair: first end for the parent, second for the child.
  static absl::StatusOr<std::pair<SyncChannel, SyncChannel>> Pair();

  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  SyncChannel(SyncChannel&&) = default;
  SyncChannel& operator=(SyncChannel&&) = default;

  absl::Status Send(SyncType type, int64_t value = 0, const std::string& text = "");
  absl::Status SendError(const absl::Status& status);
  // A debug line "<who>[<pid>]: <text>" for the parent's log; nothing unless
  // set_debug(true) was called (before the fork, on the child end).
  void SendDebug(absl::string_view who, absl::string_view text);
  void set_debug(bool debug) { debug_ = debug; }
  // Parent end: where received kLog lines go (as debug lines).
  void set_log_sink(Logger* log) { log_sink_ = log; }
  // Receives the next message other than kLog. An EOF is an error naming
  // what was awaited.
  absl::StatusOr<SyncMessage> Receive();
  // Receives, expecting `want`; a kError from the peer becomes its status.
  absl::StatusOr<SyncMessage> Expect(SyncType want);

  int fd() const { return fd_.get(); }
  void Close() { fd_.reset(); }

 private:
  absl::StatusOr<SyncMessage> ReceiveAny();

  UniqueFd fd_;
  bool debug_ = false;
  Logger* log_sink_ = nullptr;
};

}  // namespace berth::runtime
