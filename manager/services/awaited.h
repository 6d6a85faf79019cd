// One operation of a grpc++ callback stream awaited by a thread of the
// manager's own. The reactor's OnReadDone/OnWriteDone call Done(ok); the
// thread that started the operation calls Wait(). This lets a transfer's
// worker read and write its stream in straight-line code while no gRPC
// thread ever blocks on it:
//
//   worker thread                      gRPC thread
//   op.Begin(); StartWrite(&msg);
//   op.Wait() ...                      OnWriteDone(ok) -> op.Done(ok)
//   ... returns ok
#pragma once

#include <condition_variable>
#include <mutex>

namespace berth::manager {

class Awaited {
 public:
  // Before starting the operation (its completion may come at once).
  void Begin() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = false;
  }
  void Done(bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    ok_ = ok;
    done_ = true;
    cv_.notify_all();
  }
  // The operation's ok: false once the client has gone.
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return ok_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool ok_ = false;
};

}  // namespace berth::manager
