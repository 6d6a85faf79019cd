#include "shim/connection.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common/status.h"

namespace berth::shim {

Connection::Connection(EventLoop* loop, UniqueFd fd, Callbacks callbacks)
    : loop_(loop), fd_(std::move(fd)), callbacks_(std::move(callbacks)) {}

Connection::~Connection() {
  if (fd_) loop_->Remove(fd_.get());
}

absl::Status Connection::Register() {
  RETURN_IF_ERROR(SetNonBlocking(fd_.get()));
  return loop_->Add(fd_.get(), EPOLLIN | EPOLLRDHUP, [this](uint32_t ev) { OnEvents(ev); });
}

void Connection::Send(absl::string_view data) {
  if (!fd_ || close_when_flushed_) return;
  out_.append(data.data(), data.size());
  Flush();
}

void Connection::Close() {
  if (!fd_) return;
  loop_->Remove(fd_.get());
  fd_.reset();
  auto on_close = callbacks_.on_close;
  if (on_close) on_close();
}

void Connection::CloseAfterFlush() {
  close_when_flushed_ = true;
  Flush();
}

void Connection::Flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd_.get(), out_.data(), out_.size());
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close();
    return;
  }
  if (out_.empty() && close_when_flushed_) {
    Close();
    return;
  }
  if (out_.size() > kMaxSendBuffer) {
    Close();
    return;
  }
  UpdateInterest();
}

void Connection::UpdateInterest() {
  bool want = !out_.empty();
  if (want == want_out_) return;
  want_out_ = want;
  (void)loop_->Modify(fd_.get(), EPOLLIN | EPOLLRDHUP | (want ? uint32_t{EPOLLOUT} : 0u));
}

void Connection::OnEvents(uint32_t events) {
  if (events & EPOLLOUT) Flush();
  if (!fd_) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n > 0) {
        callbacks_.on_data(absl::string_view(buf, static_cast<size_t>(n)));
        if (!fd_) return;
        if (static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Close();  // EOF or error; on_close may destroy *this
      return;
    }
  }
}

absl::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoStatus("fcntl O_NONBLOCK", std::to_string(fd));
  }
  return absl::OkStatus();
}

static absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return absl::InvalidArgumentError("socket path too long (max 107 bytes): " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path) {
  ASSIGN_OR_RETURN(struct sockaddr_un addr, UnixAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return ErrnoStatus("socket", path);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoStatus("bind", path);
  }
  if (::listen(fd.get(), 64) != 0) return ErrnoStatus("listen", path);
  return fd;
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  ASSIGN_OR_RETURN(struct sockaddr_un addr, UnixAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", path);
  if (RetryEintr([&] {
        return ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
      }) != 0) {
    return ErrnoStatus("connect", path);
  }
  return fd;
}

absl::StatusOr<UniqueFd> ReceiveFd(int socket) {
  char data[256];
  struct iovec iov = {data, sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  if (RetryEintr([&] { return ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC); }) < 0) {
    return ErrnoStatus("recvmsg", "console socket");
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return UniqueFd(fd);
    }
  }
  return absl::InvalidArgumentError("console socket: message carries no file descriptor");
}

}  // namespace berth::shim
