#include "manager/tasks/exit_waiters.h"

#include <vector>

namespace berth::manager {

uint64_t ExitWaiters::Add(const std::string& task, const std::string& exec_id, Done done) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t token = next_++;
  waiters_.emplace(token, Waiter{task, exec_id, std::move(done)});
  return token;
}

bool ExitWaiters::Cancel(uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.erase(token) > 0;
}

void ExitWaiters::CompleteOne(uint64_t token, const Result& r) {
  CompleteWhere([token](uint64_t t, const Waiter&) { return t == token; },
                [&r](const Waiter&) { return r; });
}

void ExitWaiters::Complete(const std::string& task, const std::string& exec_id, const Result& r) {
  CompleteWhere([&](uint64_t, const Waiter& w) { return w.task == task && w.exec_id == exec_id; },
                [&r](const Waiter&) { return r; });
}

void ExitWaiters::CompleteTask(const std::string& task, const Result& init,
                               const absl::Status& execs) {
  CompleteWhere([&task](uint64_t, const Waiter& w) { return w.task == task; },
                [&](const Waiter& w) { return w.exec_id.empty() ? init : Result(execs); });
}

void ExitWaiters::CompleteAll(const absl::Status& why) {
  CompleteWhere([](uint64_t, const Waiter&) { return true; },
                [&why](const Waiter&) { return Result(why); });
}

size_t ExitWaiters::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

void ExitWaiters::CompleteWhere(const std::function<bool(uint64_t, const Waiter&)>& pred,
                                const std::function<Result(const Waiter&)>& result) {
  std::vector<Waiter> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (pred(it->first, it->second)) {
        taken.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& w : taken) w.done(result(w));
}

}  // namespace berth::manager
