#include "runtime/process/sync.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::runtime {

namespace {
struct Header {
  uint32_t type;
  uint32_t code;  // absl::StatusCode for kError
  int64_t value;
};
constexpr size_t kMaxText = 16 * 1024;
}  // namespace

const char* SyncTypeName(SyncType t) {
  switch (t) {
    case SyncType::kNeedIdMaps:
      return "need-id-maps";
    case SyncType::kIdMapsDone:
      return "id-maps-done";
    case SyncType::kInitPid:
      return "init-pid";
    case SyncType::kRunHooks:
      return "run-hooks";
    case SyncType::kHooksDone:
      return "hooks-done";
    case SyncType::kReady:
      return "ready";
    case SyncType::kError:
      return "error";
    case SyncType::kLog:
      return "log";
  }
  return "unknown";
}

absl::StatusOr<std::pair<SyncChannel, SyncChannel>> SyncChannel::Pair() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoStatus("socketpair", "sync");
  }
  return std::pair<SyncChannel, SyncChannel>(SyncChannel(UniqueFd(fds[0])),
                                             SyncChannel(UniqueFd(fds[1])));
}

static absl::Status SendRaw(int fd, SyncType type, uint32_t code, int64_t value,
                            const std::string& text) {
  char buf[sizeof(Header) + kMaxText];
  Header h{static_cast<uint32_t>(type), code, value};
  memcpy(buf, &h, sizeof h);
  size_t n = std::min(text.size(), kMaxText);
  memcpy(buf + sizeof h, text.data(), n);
  if (RetryEintr([&] { return ::send(fd, buf, sizeof h + n, MSG_NOSIGNAL); }) < 0) {
    return ErrnoStatus(absl::StrCat("send ", SyncTypeName(type)), "to sync socket");
  }
  return absl::OkStatus();
}

absl::Status SyncChannel::Send(SyncType type, int64_t value, const std::string& text) {
  return SendRaw(fd_.get(), type, 0, value, text);
}

absl::Status SyncChannel::SendError(const absl::Status& status) {
  return SendRaw(fd_.get(), SyncType::kError, static_cast<uint32_t>(status.code()), 0,
                 std::string(status.message()));
}

void SyncChannel::SendDebug(absl::string_view who, absl::string_view text) {
  if (!debug_) return;
  (void)Send(SyncType::kLog, 0, absl::StrCat(who, "[", getpid(), "]: ", text));
}

absl::StatusOr<SyncMessage> SyncChannel::Receive() {
  for (;;) {
    ASSIGN_OR_RETURN(SyncMessage m, ReceiveAny());
    if (m.type != SyncType::kLog) return m;
    if (log_sink_ != nullptr) log_sink_->Debug(m.text);
  }
}

absl::StatusOr<SyncMessage> SyncChannel::ReceiveAny() {
  char buf[sizeof(Header) + kMaxText];
  ssize_t n = RetryEintr([&] { return ::recv(fd_.get(), buf, sizeof buf, 0); });
  if (n < 0) return ErrnoStatus("recv", "from sync socket");
  if (n == 0) return absl::UnavailableError("the other end of the sync socket closed");
  if (static_cast<size_t>(n) < sizeof(Header)) return absl::InternalError("short sync message");
  Header h;
  memcpy(&h, buf, sizeof h);
  SyncMessage m{static_cast<SyncType>(h.type), h.value, std::string(buf + sizeof h, n - sizeof h)};
  if (m.type == SyncType::kError) {
    return absl::Status(static_cast<absl::StatusCode>(h.code == 0 ? 13 : h.code), m.text);
  }
  return m;
}

absl::StatusOr<SyncMessage> SyncChannel::Expect(SyncType want) {
  auto m = Receive();
  if (!m.ok()) {
    if (m.status().code() == absl::StatusCode::kUnavailable) {
      return absl::InternalError(absl::StrCat("waiting for ", SyncTypeName(want),
                                              ": the container process exited during set-up"));
    }
    return m.status();
  }
  if (m->type != want) {
    return absl::InternalError(
        absl::StrCat("sync: expected ", SyncTypeName(want), ", got ", SyncTypeName(m->type)));
  }
  return m;
}

}  // namespace berth::runtime
