#include "manager/berthctl/attach.h"

#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <functional>
#include <optional>

#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "proto/manager/v1/tasks.grpc.pb.h"
#include "shim/connection.h"

namespace berth::berthctl {
namespace {

sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH}) sigaddset(&set, sig);
  return set;
}

// The local terminal in raw mode for as long as this lives.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

// CloseIO reaches the shim by another path (manager, shim socket) than the
// bytes sent on the attach socket, and the shim drops input that comes after
// it: wait (at most 2 s) until the shim has read all of it. SIOCOUTQ on a
// unix socket counts the bytes the peer has not consumed yet.
void WaitForPeerToRead(int sock) {
  for (int i = 0; i < 200; ++i) {
    int pending = 0;
    if (::ioctl(sock, SIOCOUTQ, &pending) != 0 || pending == 0) return;
    ::usleep(10 * 1000);
  }
}

// Copies the socket to stdout until it ends, and stdin to the socket until
// stdin ends (then on_stdin_eof, once).
absl::Status Pump(int sock, bool forward_stdin, const std::function<void()>& on_stdin_eof) {
  struct pollfd fds[2] = {{sock, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  nfds_t nfds = forward_stdin ? 2 : 1;
  char buf[32768];
  for (;;) {
    if (RetryEintr([&] { return ::poll(fds, nfds, -1); }) < 0) return ErrnoStatus("poll");
    if (fds[0].revents != 0) {
      ssize_t n = RetryEintr([&] { return ::read(sock, buf, sizeof buf); });
      if (n <= 0) return absl::OkStatus();  // the process is gone
      RETURN_IF_ERROR(
          WriteAll(STDOUT_FILENO, absl::string_view(buf, static_cast<size_t>(n)), "stdout"));
    }
    if (nfds == 2 && fds[1].revents != 0) {
      ssize_t n = (fds[1].revents & POLLNVAL)
                      ? 0
                      : RetryEintr([&] { return ::read(STDIN_FILENO, buf, sizeof buf); });
      if (n > 0 && ::send(sock, buf, static_cast<size_t>(n), MSG_NOSIGNAL) >= 0) continue;
      nfds = 1;  // stdin ended (or the socket refuses input): keep reading output
      WaitForPeerToRead(sock);
      on_stdin_eof();
    }
  }
}

}  // namespace

SignalForwarder::SignalForwarder() {
  sigset_t set = ForwardedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalForwarder::~SignalForwarder() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SignalForwarder::Start(Client* client, ProcessRef ref, bool tty) {
  thread_ = std::thread([this, client, ref = std::move(ref), tty] {
    sigset_t set = ForwardedSignals();
    struct timespec tick = {0, 100 * 1000 * 1000};
    while (!stop_) {
      int sig = ::sigtimedwait(&set, nullptr, &tick);
      if (sig < 0) continue;
      if (sig == SIGWINCH) {
        if (tty) ResizeFromTerminal(*client, ref);
        continue;
      }
      v1::KillRequest req;
      req.set_container_id(ref.container_id);
      req.set_exec_id(ref.exec_id);
      req.set_signal(static_cast<uint32_t>(sig));
      v1::KillResponse resp;
      (void)client->Call(&v1::Tasks::Stub::Kill, req, &resp);
    }
  });
}

void ResizeFromTerminal(Client& client, const ProcessRef& ref) {
  struct winsize ws {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) {
    return;
  }
  if (ws.ws_col == 0 || ws.ws_row == 0) return;
  v1::ResizePtyRequest req;
  req.set_container_id(ref.container_id);
  req.set_exec_id(ref.exec_id);
  req.set_width(ws.ws_col);
  req.set_height(ws.ws_row);
  v1::ResizePtyResponse resp;
  (void)client.Call(&v1::Tasks::Stub::ResizePty, req, &resp);
}

absl::StatusOr<int> StartAndWait(Client& client, const ProcessRef& ref,
                                 const std::string& attach_socket, const AttachOptions& opts) {
  UniqueFd sock;
  if (!opts.detach) {
    if (attach_socket.empty()) return absl::InternalError("the manager returned no attach socket");
    ASSIGN_OR_RETURN(sock, shim::ConnectUnix(attach_socket));
  }
  std::optional<RawTerminal> raw;
  if (opts.tty && !opts.detach && ::isatty(STDIN_FILENO)) raw.emplace(STDIN_FILENO);
  if (opts.tty) ResizeFromTerminal(client, ref);
  v1::StartRequest start;
  start.set_container_id(ref.container_id);
  start.set_exec_id(ref.exec_id);
  v1::StartResponse started;
  RETURN_IF_ERROR(client.Call(&v1::Tasks::Stub::Start, start, &started));
  if (opts.detach) return 0;

  RETURN_IF_ERROR(Pump(sock.get(), opts.stdin, [&] {
    v1::CloseIORequest req;
    req.set_container_id(ref.container_id);
    req.set_exec_id(ref.exec_id);
    req.set_stdin(true);
    v1::CloseIOResponse resp;
    (void)client.Call(&v1::Tasks::Stub::CloseIO, req, &resp);
  }));
  raw.reset();
  v1::WaitRequest wait;
  wait.set_container_id(ref.container_id);
  wait.set_exec_id(ref.exec_id);
  v1::WaitResponse waited;
  RETURN_IF_ERROR(client.Call(&v1::Tasks::Stub::Wait, wait, &waited));
  return static_cast<int>(waited.exit_status());
}

absl::StatusOr<int> CreateAndStartTask(Client& c, SignalForwarder& fwd, const std::string& id,
                                       bool tty, bool detach) {
  v1::CreateTaskRequest req;
  req.set_container_id(id);
  req.set_terminal(tty);
  req.set_stdin(!detach);
  v1::CreateTaskResponse created;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Create, req, &created));
  ProcessRef ref{id, ""};
  if (!detach) fwd.Start(&c, ref, tty);
  return StartAndWait(c, ref, created.process().attach_socket(),
                      AttachOptions{.tty = tty, .stdin = !detach, .detach = detach});
}

}  // namespace berth::berthctl
