#include "runtime/container/tty_proxy.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/status.h"
#include "runtime/console.h"
#include "runtime/container/container.h"

namespace berth::runtime {
namespace {

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

bool CopyOnce(int from, int to) {
  char buf[16384];
  ssize_t n = RetryEintr([&] { return read(from, buf, sizeof buf); });
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = RetryEintr([&] { return write(to, buf + off, n - off); });
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

// Blocks every signal and returns a signalfd for them.
UniqueFd BlockSignals() {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  return UniqueFd(signalfd(-1, &all, SFD_CLOEXEC));
}

// Handles one signal: true once pid has exited (its code in *code).
bool HandleSignal(int sfd, pid_t pid, int* code, int master) {
  struct signalfd_siginfo si;
  if (read(sfd, &si, sizeof si) != sizeof si) return false;
  int sig = static_cast<int>(si.ssi_signo);
  if (sig == SIGCHLD) {
    bool done = false;
    for (;;) {
      int status;
      pid_t r = waitpid(-1, &status, WNOHANG);
      if (r <= 0) break;
      if (r == pid) {
        *code = ExitCode(status);
        done = true;
      }
    }
    return done;
  }
  if (sig == SIGWINCH && master >= 0) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    return false;
  }
  kill(pid, sig);
  return false;
}

}  // namespace

int WaitForwardingSignals(pid_t pid) {
  UniqueFd sfd = BlockSignals();
  int code = 255;
  // The child may have exited before the signal mask was in place.
  int status;
  if (waitpid(pid, &status, WNOHANG) == pid) return ExitCode(status);
  while (!HandleSignal(sfd.get(), pid, &code, -1)) {
  }
  return code;
}

absl::StatusOr<TtyProxy> TtyProxy::Create() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return ErrnoStatus("socketpair", "console");
  TtyProxy p;
  p.our_end_.reset(fds[0]);
  p.container_end_.reset(fds[1]);
  return p;
}

absl::Status TtyProxy::ReceiveMaster() {
  ASSIGN_OR_RETURN(master_, ReceiveFd(our_end_.get()));
  our_end_.reset();
  return absl::OkStatus();
}

int TtyProxy::Run(pid_t pid) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master_.get(), TIOCSWINSZ, &ws);
  }
  UniqueFd sfd = BlockSignals();
  int code = 255;
  bool exited = false, stdin_open = true;
  int status;
  if (waitpid(pid, &status, WNOHANG) == pid) {
    code = ExitCode(status);
    exited = true;
  }
  while (!exited) {
    struct pollfd p[3] = {
        {sfd.get(), POLLIN, 0}, {master_.get(), POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) break;
    if (p[0].revents & POLLIN) exited = HandleSignal(sfd.get(), pid, &code, master_.get());
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!CopyOnce(master_.get(), 1)) p[1].fd = -1;
    }
    if (p[2].revents & (POLLIN | POLLHUP)) stdin_open = CopyOnce(0, master_.get());
  }
  // Drain what the process wrote just before it exited.
  struct pollfd last {
    master_.get(), POLLIN, 0
  };
  while (poll(&last, 1, 0) > 0 && (last.revents & POLLIN) && CopyOnce(master_.get(), 1)) {
  }
  if (raw) tcsetattr(0, TCSANOW, &saved);
  return code;
}

}  // namespace berth::runtime
