#include "manager/tasks/shim_monitor.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/status.h"
#include "shim/connection.h"

namespace berth::manager {

ShimMonitor::ShimMonitor(OnEvent on_event, OnGone on_gone)
    : on_event_(std::move(on_event)), on_gone_(std::move(on_gone)) {
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { Loop(); });
}

ShimMonitor::~ShimMonitor() {
  uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

absl::Status ShimMonitor::Watch(const std::string& key, const std::string& socket) {
  Unwatch(key);
  ASSIGN_OR_RETURN(UniqueFd fd, shim::ConnectUnix(socket));
  int raw = fd.get();
  auto w = std::make_unique<Watched>();
  w->key = key;
  w->fd = std::move(fd);
  std::lock_guard<std::mutex> lock(mu_);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = raw;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) < 0) {
    return ErrnoStatus("epoll_ctl add", socket);
  }
  by_fd_[raw] = std::move(w);
  return absl::OkStatus();
}

void ShimMonitor::Unwatch(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_fd_.begin(); it != by_fd_.end(); ++it) {
    if (it->second->key != key) continue;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->first, nullptr);
    by_fd_.erase(it);
    return;
  }
}

// Reads what is there from fd under mu_ (so Unwatch cannot free it midway);
// the callbacks run after mu_ is released, as they may call Unwatch.
void ShimMonitor::Drain(int fd) {
  std::vector<shim::v1::Event> events;
  std::string key;
  bool gone = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) return;
    Watched* w = it->second.get();
    key = w->key;
    char buf[16384];
    ssize_t n = RetryEintr([&] { return ::read(fd, buf, sizeof buf); });
    if (n > 0) {
      w->decoder.Feed(absl::string_view(buf, static_cast<size_t>(n)));
      while (auto next = w->decoder.Next()) {
        if (!next->frame || next->frame->type != shim::FrameType::kEvent) continue;
        if (!events.emplace_back().ParseFromString(next->frame->payload)) events.pop_back();
      }
    } else {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      by_fd_.erase(it);
      gone = true;
    }
  }
  for (const shim::v1::Event& ev : events) on_event_(key, ev);
  if (gone) on_gone_(key);
}

void ShimMonitor::Loop() {
  epoll_event events[16];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake_.get()) return;
      Drain(events[i].data.fd);
    }
  }
}

}  // namespace berth::manager
