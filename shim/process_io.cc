#include "shim/process_io.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::shim {
namespace {

absl::Status Pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  r->reset(p[0]);
  w->reset(p[1]);
  return absl::OkStatus();
}

struct timespec Now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProcessIo>> ProcessIo::Create(EventLoop* loop, Options options) {
  std::unique_ptr<ProcessIo> io(new ProcessIo(loop, std::move(options)));
  if (io->options_.terminal) {
    io->console_path_ = io->options_.console_socket;
    ASSIGN_OR_RETURN(io->console_listener_, ListenUnix(io->console_path_));
  } else {
    if (io->options_.stdin) RETURN_IF_ERROR(Pipe(&io->stdin_r_, &io->stdin_w_));
    RETURN_IF_ERROR(Pipe(&io->stdout_r_, &io->stdout_w_));
    RETURN_IF_ERROR(Pipe(&io->stderr_r_, &io->stderr_w_));
  }
  RETURN_IF_ERROR(io->Listen());
  return io;
}

ProcessIo::~ProcessIo() {
  clients_.clear();
  for (int fd :
       {attach_listener_.get(), stdout_r_.get(), stderr_r_.get(), master_.get(), stdin_w_.get()}) {
    if (fd >= 0) loop_->Remove(fd);
  }
  if (!options_.attach_socket.empty()) ::unlink(options_.attach_socket.c_str());
}

ChildStdio ProcessIo::child_stdio() const {
  return ChildStdio{stdin_r_.get(), stdout_w_.get(), stderr_w_.get()};
}

absl::Status ProcessIo::Listen() {
  if (options_.attach_socket.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(attach_listener_, ListenUnix(options_.attach_socket));
  return loop_->Add(attach_listener_.get(), EPOLLIN, [this](uint32_t) { OnAttach(); });
}

absl::Status ProcessIo::Started() {
  stdin_r_.reset();
  stdout_w_.reset();
  stderr_w_.reset();
  if (options_.terminal) {
    UniqueFd conn(::accept4(console_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      return absl::FailedPreconditionError(
          absl::StrCat("the runtime sent no pty master to ", console_path_,
                       " (is process.terminal true in config.json?): ", ErrnoName(errno)));
    }
    ASSIGN_OR_RETURN(master_, ReceiveFd(conn.get()));
    console_listener_.reset();
    ::unlink(console_path_.c_str());
    RETURN_IF_ERROR(SetNonBlocking(master_.get()));
    int fd = master_.get();
    return loop_->Add(fd, EPOLLIN, [this, fd](uint32_t ev) {
      if (ev & EPOLLOUT) FlushStdin();
      if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnOutput(fd, LogStream::kStdout);
    });
  }
  if (stdin_w_) RETURN_IF_ERROR(SetNonBlocking(stdin_w_.get()));
  for (auto [fd, stream] : {std::pair{stdout_r_.get(), LogStream::kStdout},
                            std::pair{stderr_r_.get(), LogStream::kStderr}}) {
    RETURN_IF_ERROR(SetNonBlocking(fd));
    RETURN_IF_ERROR(loop_->Add(
        fd, EPOLLIN, [this, fd = fd, stream = stream](uint32_t) { OnOutput(fd, stream); }));
  }
  return absl::OkStatus();
}

void ProcessIo::OnOutput(int fd, LogStream stream) {
  AcceptPending();
  char buf[32768];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      Emit(stream, absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF, or EIO from a pty master whose last slave closed: the stream ended.
    loop_->Remove(fd);
    if (options_.log != nullptr) (void)options_.log->Close(stream, Now());
    if (fd == stdout_r_.get()) stdout_r_.reset();
    if (fd == stderr_r_.get()) stderr_r_.reset();
    return;
  }
}

void ProcessIo::Emit(LogStream stream, absl::string_view data) {
  if (options_.log != nullptr) (void)options_.log->Write(stream, data, Now());
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto next = std::next(it);  // Send may drop (erase) a slow client
    (*it)->Send(data);
    it = next;
  }
}

void ProcessIo::AcceptPending() {
  if (attach_listener_) OnAttach();
}

void ProcessIo::OnAttach() {
  for (;;) {
    UniqueFd fd(::accept4(attach_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) return;
    auto it = clients_.emplace(clients_.end());
    *it = std::make_unique<Connection>(loop_, std::move(fd),
                                       Connection::Callbacks{[this, it](absl::string_view data) {
                                                               if (it == clients_.begin())
                                                                 WriteStdin(data);
                                                             },
                                                             [this, it] { clients_.erase(it); }});
    if (!(*it)->Register().ok()) {
      clients_.erase(it);
    } else if (drained_) {
      (*it)->CloseAfterFlush();  // the process is gone: EOF at once
    }
  }
}

void ProcessIo::WriteStdin(absl::string_view data) {
  if (stdin_closed_) return;
  if (stdin_pending_.size() + data.size() > Connection::kMaxSendBuffer) return;
  stdin_pending_.append(data.data(), data.size());
  FlushStdin();
}

void ProcessIo::FlushStdin() {
  int fd = options_.terminal ? master_.get() : stdin_w_.get();
  if (fd < 0) return;
  while (!stdin_pending_.empty()) {
    ssize_t n = ::write(fd, stdin_pending_.data(), stdin_pending_.size());
    if (n > 0) {
      stdin_pending_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN) stdin_pending_.clear();  // EPIPE: nobody reads
      break;
    }
  }
  bool want = !stdin_pending_.empty();
  if (want == stdin_armed_) return;
  stdin_armed_ = want;
  if (options_.terminal) {
    (void)loop_->Modify(fd, EPOLLIN | (want ? uint32_t{EPOLLOUT} : 0u));
  } else if (want) {
    (void)loop_->Add(fd, EPOLLOUT, [this](uint32_t) { FlushStdin(); });
  } else {
    loop_->Remove(fd);
  }
}

absl::Status ProcessIo::Resize(unsigned width, unsigned height) {
  if (!master_) return absl::FailedPreconditionError("the process has no tty");
  struct winsize ws = {};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) return ErrnoStatus("ioctl TIOCSWINSZ", "pty");
  return absl::OkStatus();
}

absl::Status ProcessIo::CloseStdin() {
  stdin_closed_ = true;
  if (options_.terminal) {
    if (!master_) return absl::OkStatus();
    struct termios t;
    char eof = ::tcgetattr(master_.get(), &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
    stdin_closed_ = false;
    stdin_pending_.push_back(eof);
    FlushStdin();
    stdin_closed_ = true;
    return absl::OkStatus();
  }
  if (stdin_w_) {
    FlushStdin();
    loop_->Remove(stdin_w_.get());
    stdin_armed_ = false;
    stdin_w_.reset();
  }
  return absl::OkStatus();
}

void ProcessIo::Drain() {
  AcceptPending();
  for (auto [fd, stream] : {std::pair{stdout_r_.get(), LogStream::kStdout},
                            std::pair{stderr_r_.get(), LogStream::kStderr},
                            std::pair{master_.get(), LogStream::kStdout}}) {
    if (fd >= 0) OnOutput(fd, stream);
  }
  drained_ = true;
  // Attached clients see the end of the stream.
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto next = std::next(it);
    (*it)->CloseAfterFlush();
    it = next;
  }
}

}  // namespace berth::shim
