#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::runtime {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// "signal: bad system call (31)": Go's wording (runc's errors), and the number.
std::string SignalText(int sig) {
  const char* name = strsignal(sig);
  return absl::StrCat("signal: ", absl::AsciiStrToLower(name != nullptr ? name : "unknown"), " (",
                      sig, ")");
}

absl::Status RunHook(const Hook& hook, const std::string& name, const std::string& state_json) {
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return ErrnoStatus("pipe", name);
  UniqueFd in_r(in[0]), in_w(in[1]), err_r(err[0]), err_w(err[1]);
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = CStrings(args);
  auto envp = CStrings(hook.env);
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork", name);
  if (pid == 0) {
    dup2(in_r.get(), 0);
    dup2(err_w.get(), 2);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execve(hook.path.c_str(), argv.data(), envp.data());
    dprintf(2, "exec %s: %s", hook.path.c_str(), strerror(errno));
    _exit(127);
  }
  in_r.reset();
  err_w.reset();
  // The state is small (< pipe buffer): one write, then EOF.
  signal(SIGPIPE, SIG_IGN);
  (void)!write(in_w.get(), state_json.data(), state_json.size());
  in_w.reset();

  std::string stderr_text;
  int64_t deadline = hook.timeout ? NowMs() + int64_t{*hook.timeout} * 1000 : -1;
  bool timed_out = false;
  for (;;) {
    int wait_ms = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
    struct pollfd p {
      err_r.get(), POLLIN, 0
    };
    int r = poll(&p, 1, wait_ms);
    if (r == 0) {
      timed_out = true;
      break;
    }
    if (r < 0 && errno == EINTR) continue;
    char buf[1024];
    ssize_t n = read(err_r.get(), buf, sizeof buf);
    if (n <= 0) break;
    if (stderr_text.size() < 4096) stderr_text.append(buf, n);
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  RetryEintr([&] { return waitpid(pid, &status, 0); });
  if (timed_out)
    return absl::DeadlineExceededError(
        absl::StrCat(name, ": timed out after ", *hook.timeout, "s"));
  while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::string how = WIFEXITED(status) ? absl::StrCat("exit status ", WEXITSTATUS(status))
                                      : SignalText(WTERMSIG(status));
  return absl::FailedPreconditionError(
      absl::StrCat(name, ": ", how, stderr_text.empty() ? "" : ", stderr: ", stderr_text));
}

}  // namespace

absl::Status RunHooks(const std::vector<Hook>& hooks, const std::string& stage,
                      const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    RETURN_IF_ERROR(RunHook(
        hooks[i], absl::StrCat(stage, ": error running hook #", i, " (", hooks[i].path, ")"),
        state_json));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
