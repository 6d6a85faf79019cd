// Error model shared by every component: absl::Status / absl::StatusOr<T>,
// two macros that hide a return, and helpers that turn errno into a status
// naming the operation and path ("mount proc at /rootfs/proc: EPERM").
#pragma once

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace berth {

// "EPERM", "ENOENT", ... for an errno value ("errno 4242" if unknown).
std::string ErrnoName(int err);

// A status for a failed syscall: "<op> <path>: <ENAME> (<strerror>)".
// The code follows errno (ENOENT -> NotFound, EEXIST -> AlreadyExists, ...).
absl::Status ErrnoStatus(int err, absl::string_view op, absl::string_view path = {});

// The same, from the current errno.
inline absl::Status ErrnoStatus(absl::string_view op, absl::string_view path = {}) {
  return ErrnoStatus(errno, op, path);
}

// Adds context on the way up: "create container abc: " + message.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// Retries a syscall that failed with EINTR.
template <typename F>
auto RetryEintr(F&& f) -> decltype(f()) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status berth_status_ = (expr);         \
    if (!berth_status_.ok()) return berth_status_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(berth_statusor_, __LINE__), lhs, expr)
