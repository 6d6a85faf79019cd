// Callers waiting for a process to exit (Tasks.Wait), held without a thread.
//
// Whoever learns of the exit first completes the waiter: the shim's exit
// event, a State that already shows the process stopped, a Delete, or the
// shim's death. A waiter is completed exactly once, by whoever removes it
// from the table; Cancel removes one whose caller went away, and then
// nothing else completes it. Done runs without the table's lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "proto/manager/v1/tasks.pb.h"

namespace berth::manager {

class ExitWaiters {
 public:
  using Result = absl::StatusOr<v1::WaitResponse>;
  using Done = std::function<void(Result)>;

  // task: "<ns>/<id>"; exec_id "" for the task's init process.
  uint64_t Add(const std::string& task, const std::string& exec_id, Done done);
  // True if the waiter was still waiting (its caller now finishes alone).
  bool Cancel(uint64_t token);
  void CompleteOne(uint64_t token, const Result& r);
  // Every waiter of that process.
  void Complete(const std::string& task, const std::string& exec_id, const Result& r);
  // Every waiter of the task's init process with init, of its execs with
  // execs (the task is gone: a Delete, or a dead shim).
  void CompleteTask(const std::string& task, const Result& init, const absl::Status& execs);
  // Every waiter (the manager is stopping).
  void CompleteAll(const absl::Status& why);
  size_t size();

 private:
  struct Waiter {
    std::string task, exec_id;
    Done done;
  };
  // Removes the waiters pred selects, then runs their Done with result(w).
  void CompleteWhere(const std::function<bool(uint64_t, const Waiter&)>& pred,
                     const std::function<Result(const Waiter&)>& result);

  std::mutex mu_;
  uint64_t next_ = 1;
  std::map<uint64_t, Waiter> waiters_;
};

}  // namespace berth::manager
