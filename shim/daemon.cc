#include "shim/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/service.h"

namespace berth::shim {
namespace {

constexpr char kUsage[] =
    "usage: berth-shim --id ID --bundle DIR --state-dir DIR [--runtime PATH]\n"
    "                  [--runtime-root DIR] [--log-path FILE] [--log-max-size BYTES]\n"
    "                  [--log-max-file N] [--socket PATH] [--foreground]\n";

absl::StatusOr<ShimOptions> ParseOptions(const std::vector<std::string>& args, bool* foreground) {
  std::vector<FlagSpec> specs = {
      {{"id"}},           {{"bundle"}},           {{"state-dir"}},    {{"runtime"}},
      {{"runtime-root"}}, {{"log-path"}},         {{"log-max-size"}}, {{"log-max-file"}},
      {{"socket"}},       {{"foreground"}, false}};
  ASSIGN_OR_RETURN(ParsedFlags f, ParseFlags(specs, args));
  ShimOptions o;
  o.id = f.GetOr("id", "");
  o.bundle = f.GetOr("bundle", "");
  o.state_dir = f.GetOr("state-dir", "");
  if (o.id.empty() || o.bundle.empty() || o.state_dir.empty()) {
    return absl::InvalidArgumentError("--id, --bundle and --state-dir are required");
  }
  if (o.bundle[0] != '/' || o.state_dir[0] != '/') {
    return absl::InvalidArgumentError("--bundle and --state-dir must be absolute paths");
  }
  o.runtime = f.GetOr("runtime", o.runtime);
  o.runtime_root = f.GetOr("runtime-root", "");
  o.log_path = f.GetOr("log-path", "");
  o.socket = f.GetOr("socket", o.state_dir + "/shim.sock");
  if (auto v = f.Get("log-max-size"); v && !absl::SimpleAtoi(*v, &o.log_max_size)) {
    return absl::InvalidArgumentError("--log-max-size: not a number: " + *v);
  }
  if (auto v = f.Get("log-max-file");
      v && (!absl::SimpleAtoi(*v, &o.log_max_file) || o.log_max_file < 1)) {
    return absl::InvalidArgumentError("--log-max-file: not a number >= 1: " + *v);
  }
  *foreground = f.Has("foreground");
  return o;
}

// Everything the shim sets up before it says it is ready.
absl::Status Serve(const ShimOptions& options, int ready_fd) {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return ErrnoStatus("prctl PR_SET_CHILD_SUBREAPER");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return ErrnoStatus("sigprocmask");
  ::signal(SIGPIPE, SIG_IGN);

  EventLoop loop;
  RETURN_IF_ERROR(loop.Init());
  Shim shim(options, &loop);
  RETURN_IF_ERROR(shim.Init());
  ShimService service(&shim, &loop);
  ASSIGN_OR_RETURN(UniqueFd listener, ListenUnix(options.socket));
  RETURN_IF_ERROR(service.Serve(std::move(listener)));
  RETURN_IF_ERROR(WriteFileAtomic(options.state_dir + "/shim.pid", absl::StrCat(::getpid())));
  if (ready_fd >= 0) {
    (void)!::write(ready_fd, "ok", 2);
    ::close(ready_fd);
  }
  absl::Status ran = loop.Run();
  ::unlink(options.socket.c_str());
  return ran;
}

// The shim's own stdio: nothing in, its messages to <state-dir>/shim.log.
void RedirectStdio(const std::string& state_dir) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int log =
      ::open((state_dir + "/shim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  ::dup2(null, 0);
  ::dup2(null, 1);
  ::dup2(log >= 0 ? log : null, 2);
  if (null > 2) ::close(null);
  if (log > 2) ::close(log);
}

int Daemonize(const ShimOptions& options) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    perror("berth-shim: pipe2");
    return 1;
  }
  pid_t child = ::fork();
  if (child < 0) {
    perror("berth-shim: fork");
    return 1;
  }
  if (child == 0) {
    ::close(p[0]);
    ::setsid();
    if (::fork() != 0) _exit(0);
    RedirectStdio(options.state_dir);
    (void)!::chdir("/");
    absl::Status s = Serve(options, p[1]);
    if (!s.ok()) {
      std::string msg(s.message());
      (void)!::write(p[1], msg.data(), msg.size());
      fprintf(stderr, "berth-shim: %s\n", msg.c_str());
      _exit(1);
    }
    _exit(0);
  }
  ::close(p[1]);
  (void)RetryEintr([&] { return ::waitpid(child, nullptr, 0); });
  std::string reply;
  char buf[512];
  ssize_t n;
  while ((n = RetryEintr([&] { return ::read(p[0], buf, sizeof buf); })) > 0) {
    reply.append(buf, static_cast<size_t>(n));
    if (reply == "ok") break;
  }
  ::close(p[0]);
  if (reply != "ok") {
    fprintf(stderr, "berth-shim: %s\n",
            reply.empty() ? "exited before it was ready" : reply.c_str());
    return 1;
  }
  printf("%s\n", options.socket.c_str());
  return 0;
}

}  // namespace

int Main(const std::vector<std::string>& args) {
  bool foreground = false;
  absl::StatusOr<ShimOptions> options = ParseOptions(args, &foreground);
  if (!options.ok()) {
    fprintf(stderr, "berth-shim: %s\n%s", std::string(options.status().message()).c_str(), kUsage);
    return 2;
  }
  absl::Status made = MkdirAll(options->state_dir, 0700);
  if (!made.ok()) {
    fprintf(stderr, "berth-shim: %s\n", std::string(made.message()).c_str());
    return 1;
  }
  if (!foreground) return Daemonize(*options);
  absl::Status s = Serve(*options, -1);
  if (!s.ok()) {
    fprintf(stderr, "berth-shim: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace berth::shim
