#include "runtime/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::runtime {

absl::StatusOr<UniqueFd> ConnectUnixSocket(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", path);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return absl::InvalidArgumentError(absl::StrCat("console socket path too long: ", path));
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (RetryEintr([&] {
        return connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      }) != 0) {
    return ErrnoStatus("connect", path);
  }
  return fd;
}

absl::Status SendFd(int socket, const std::string& name, int fd) {
  struct iovec iov {
    const_cast<char*>(name.data()), name.size()
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (RetryEintr([&] { return sendmsg(socket, &msg, MSG_NOSIGNAL); }) < 0) {
    return ErrnoStatus("sendmsg", "console socket");
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ReceiveFd(int socket, std::string* name) {
  char buf[4096];
  struct iovec iov {
    buf, sizeof buf
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = RetryEintr([&] { return recvmsg(socket, &msg, MSG_CMSG_CLOEXEC); });
  if (n < 0) return ErrnoStatus("recvmsg", "console socket");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS)
    return absl::InvalidArgumentError("recvmsg: no fd received");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (name != nullptr) name->assign(buf, static_cast<size_t>(n));
  return UniqueFd(fd);
}

absl::StatusOr<UniqueFd> SetupConsole(int socket, const std::optional<ConsoleSize>& size,
                                      bool bind_console) {
  UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return ErrnoStatus("open", "/dev/ptmx");
  if (unlockpt(master.get()) != 0) return ErrnoStatus("unlockpt", "/dev/ptmx");
  char slave_path[64];
  if (ptsname_r(master.get(), slave_path, sizeof slave_path) != 0)
    return ErrnoStatus("ptsname", "/dev/ptmx");
  if (size && size->height > 0 && size->width > 0) {
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (ioctl(master.get(), TIOCSWINSZ, &ws) != 0)
      return ErrnoStatus("ioctl(TIOCSWINSZ)", slave_path);
  }
  UniqueFd slave(open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return ErrnoStatus("open", slave_path);
  if (bind_console) {
    int f = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f >= 0) close(f);
    if (mount(slave_path, "/dev/console", nullptr, MS_BIND, nullptr) != 0) {
      return ErrnoStatus(absl::StrCat("mount ", slave_path, " at"), "/dev/console");
    }
  }
  RETURN_IF_ERROR(SendFd(socket, "/dev/ptmx", master.get()));
  return slave;
}

absl::Status AttachTerminal(int slave_fd) {
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(slave_fd, fd) < 0) return ErrnoStatus("dup2", "pty slave");
  }
  if (ioctl(0, TIOCSCTTY, 0) != 0) return ErrnoStatus("ioctl(TIOCSCTTY)", "pty slave");
  return absl::OkStatus();
}

}  // namespace berth::runtime
