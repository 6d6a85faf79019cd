#include "shim/runtime_cli.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/exec_child.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::shim {
namespace {

off_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

std::string ReadFrom(int fd, off_t offset, size_t max) {
  std::string out(max, '\0');
  ssize_t n = ::pread(fd, out.data(), max, offset);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// In the forked child: stdio in place, signals as a fresh process, exec.
[[noreturn]] void ExecChild(const std::vector<std::string>& args, int in, int out, int err) {
  int null = ::open("/dev/null", O_RDWR);
  int fds[3] = {in >= 0 ? in : null, out >= 0 ? out : null, err >= 0 ? err : null};
  for (int i = 0; i < 3; ++i) fds[i] = fds[i] < 3 ? ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3) : fds[i];
  for (int i = 0; i < 3; ++i) ::dup2(fds[i], i);
  ResetSignalsForExec();
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

}  // namespace

std::string LastRuntimeError(absl::string_view log) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipWhitespace())) {
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object() || j.value("level", "") != "error") continue;
    auto msg = j.find("msg");
    if (msg != j.end() && msg->is_string()) last = msg->get<std::string>();
  }
  return last;
}

absl::Status RuntimeCli::Run(const std::vector<std::string>& verb_args, const ChildStdio& stdio,
                             absl::string_view input) {
  std::vector<std::string> args = {options_.binary};
  if (!options_.root.empty()) args.insert(args.end(), {"--root", options_.root});
  if (!options_.log_path.empty()) {
    args.insert(args.end(), {"--log", options_.log_path, "--log-format", "json"});
  }
  args.insert(args.end(), verb_args.begin(), verb_args.end());
  const std::string& verb = verb_args.front();

  UniqueFd in_pipe;
  if (!input.empty()) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "runtime stdin");
    in_pipe.reset(p[0]);
    UniqueFd w(p[1]);
    if (input.size() > 65536 || ::write(w.get(), input.data(), input.size()) < 0) {
      return absl::InvalidArgumentError(absl::StrCat("runtime ", verb, ": input too large"));
    }
  }
  UniqueFd err_capture;
  if (stdio.err < 0) err_capture.reset(::memfd_create("runtime-stderr", MFD_CLOEXEC));
  off_t log_offset = FileSize(options_.log_path);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork", options_.binary);
  if (pid == 0) {
    ExecChild(args, in_pipe ? in_pipe.get() : stdio.in, stdio.out,
              stdio.err >= 0 ? stdio.err : err_capture.get());
  }
  int wstatus = 0;
  if (RetryEintr([&] { return ::waitpid(pid, &wstatus, 0); }) < 0) {
    return ErrnoStatus("waitpid", options_.binary);
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();

  std::string msg;
  if (!options_.log_path.empty()) {
    UniqueFd log(::open(options_.log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (log) msg = LastRuntimeError(ReadFrom(log.get(), log_offset, 1 << 20));
  }
  if (msg.empty() && err_capture) {
    msg = std::string(absl::StripAsciiWhitespace(ReadFrom(err_capture.get(), 0, 4096)));
    if (auto nl = msg.rfind('\n'); nl != std::string::npos) msg = msg.substr(nl + 1);
  }
  if (msg.empty()) {
    msg = WIFEXITED(wstatus) ? absl::StrCat("exit status ", WEXITSTATUS(wstatus))
                             : absl::StrCat("killed by signal ", WTERMSIG(wstatus));
  }
  return absl::UnknownError(absl::StrCat("runtime ", verb, ": ", msg));
}

absl::Status RuntimeCli::Create(const std::string& id, const std::string& bundle,
                                const std::string& pid_file, const std::string& console_socket,
                                const ChildStdio& stdio) {
  std::vector<std::string> a = {"create", "--bundle", bundle, "--pid-file", pid_file};
  if (!console_socket.empty()) a.insert(a.end(), {"--console-socket", console_socket});
  a.push_back(id);
  return Run(a, stdio);
}

absl::Status RuntimeCli::Exec(const std::string& id, const std::string& process_file,
                              const std::string& pid_file, const std::string& console_socket,
                              const ChildStdio& stdio) {
  std::vector<std::string> a = {"exec",     "--process",  process_file,
                                "--detach", "--pid-file", pid_file};
  if (!console_socket.empty()) a.insert(a.end(), {"--console-socket", console_socket});
  a.push_back(id);
  return Run(a, stdio);
}

absl::Status RuntimeCli::Start(const std::string& id) { return Run({"start", id}, {}); }

absl::Status RuntimeCli::Kill(const std::string& id, int signal, bool all) {
  std::vector<std::string> a = {"kill"};
  if (all) a.push_back("--all");
  a.insert(a.end(), {id, std::to_string(signal)});
  return Run(a, {});
}

absl::Status RuntimeCli::Pause(const std::string& id) { return Run({"pause", id}, {}); }
absl::Status RuntimeCli::Resume(const std::string& id) { return Run({"resume", id}, {}); }

absl::Status RuntimeCli::Update(const std::string& id, absl::string_view resources_json) {
  return Run({"update", "-r", "-", id}, {}, resources_json);
}

absl::Status RuntimeCli::Delete(const std::string& id, bool force) {
  std::vector<std::string> a = {"delete"};
  if (force) a.push_back("--force");
  a.push_back(id);
  return Run(a, {});
}

}  // namespace berth::shim
