#include "manager/tasks/exit_waiters.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

namespace berth::manager {
namespace {

v1::WaitResponse Exited(uint32_t status) {
  v1::WaitResponse r;
  r.set_exit_status(status);
  return r;
}

TEST_CASE("exit waiters: each completes once, with its own process's status", "[tasks]") {
  ExitWaiters w;
  std::vector<std::string> seen;
  auto record = [&seen](const std::string& who) {
    return [&seen, who](ExitWaiters::Result r) {
      seen.push_back(
          who + "=" +
          (r.ok() ? std::to_string(r->exit_status()) : std::string(r.status().message())));
    };
  };
  w.Add("ns/a", "", record("a"));
  w.Add("ns/a", "e1", record("a/e1"));
  w.Add("ns/b", "", record("b"));
  w.Complete("ns/a", "e1", Exited(3));
  CHECK(seen == std::vector<std::string>{"a/e1=3"});
  w.Complete("ns/a", "e1", Exited(4));  // already completed: nobody left
  CHECK(seen.size() == 1);
  w.Complete("ns/a", "", Exited(0));
  CHECK(seen.back() == "a=0");
  CHECK(w.size() == 1);
}

TEST_CASE("exit waiters: a cancelled waiter is never completed", "[tasks]") {
  ExitWaiters w;
  int calls = 0;
  uint64_t t = w.Add("ns/a", "", [&calls](ExitWaiters::Result) { ++calls; });
  CHECK(w.Cancel(t));
  w.Complete("ns/a", "", Exited(0));
  CHECK(calls == 0);
  uint64_t u = w.Add("ns/a", "", [&calls](ExitWaiters::Result) { ++calls; });
  w.CompleteOne(u, Exited(1));
  CHECK_FALSE(w.Cancel(u));  // too late: its caller was already answered
  CHECK(calls == 1);
}

TEST_CASE("exit waiters: a task that goes answers init and execs apart", "[tasks]") {
  ExitWaiters w;
  std::vector<std::string> seen;
  auto record = [&seen](ExitWaiters::Result r) {
    seen.push_back(r.ok() ? std::to_string(r->exit_status()) : std::string(r.status().message()));
  };
  w.Add("ns/a", "", record);
  w.Add("ns/a", "e1", record);
  w.CompleteTask("ns/a", Exited(137), absl::NotFoundError("task a was deleted"));
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"137", "task a was deleted"});
  CHECK(w.size() == 0);
}

TEST_CASE("exit waiters: a stopping manager answers every waiter", "[tasks]") {
  ExitWaiters w;
  int unavailable = 0;
  for (const char* task : {"ns/a", "ns/b", "other/a"}) {
    w.Add(task, "", [&unavailable](ExitWaiters::Result r) {
      unavailable += absl::IsUnavailable(r.status()) ? 1 : 0;
    });
  }
  w.CompleteAll(absl::UnavailableError("stopping"));
  CHECK(unavailable == 3);
  CHECK(w.size() == 0);
}

}  // namespace
}  // namespace berth::manager
