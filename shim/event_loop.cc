#include "shim/event_loop.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include "common/status.h"

namespace berth::shim {

absl::Status EventLoop::Init() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return ErrnoStatus("epoll_create1");
  return absl::OkStatus();
}

absl::Status EventLoop::Add(int fd, uint32_t events, Handler handler) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return ErrnoStatus("epoll_ctl add", std::to_string(fd));
  }
  handlers_[fd] = std::make_shared<Handler>(std::move(handler));
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return ErrnoStatus("epoll_ctl mod", std::to_string(fd));
  }
  return absl::OkStatus();
}

void EventLoop::Remove(int fd) {
  if (handlers_.erase(fd) > 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

absl::Status EventLoop::After(int ms, std::function<void()> fn) {
  UniqueFd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!tfd) return ErrnoStatus("timerfd_create");
  struct itimerspec its = {};
  its.it_value.tv_sec = ms / 1000;
  its.it_value.tv_nsec = (ms % 1000) * 1000000L + 1;
  if (::timerfd_settime(tfd.get(), 0, &its, nullptr) != 0) return ErrnoStatus("timerfd_settime");
  int fd = tfd.get();
  RETURN_IF_ERROR(Add(fd, EPOLLIN, [this, fd, fn = std::move(fn)](uint32_t) mutable {
    auto keep = std::move(fn);
    Remove(fd);
    timers_.erase(fd);
    keep();
  }));
  timers_[fd] = std::move(tfd);
  return absl::OkStatus();
}

absl::Status EventLoop::Run() {
  struct epoll_event events[32];
  while (!stopped_) {
    int n = ::epoll_wait(epoll_.get(), events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("epoll_wait");
    }
    for (int i = 0; i < n && !stopped_; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      std::shared_ptr<Handler> h = it->second;  // survives its own Remove()
      (*h)(events[i].events);
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::shim
