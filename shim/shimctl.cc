#include "shim/shimctl.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "common/status.h"
#include "shim/client.h"
#include "shim/connection.h"

namespace berth::shim {
namespace {

using nlohmann::json;

absl::StatusOr<int> ParseSignal(std::string s) {
  int n;
  if (absl::SimpleAtoi(s, &n) && n > 0 && n < 65) return n;
  s = absl::AsciiStrToUpper(s);
  absl::string_view v = s;
  absl::ConsumePrefix(&v, "SIG");
  static const std::pair<absl::string_view, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},    {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"TERM", SIGTERM}, {"CONT", SIGCONT},
      {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}};
  for (const auto& [name, num] : kSignals) {
    if (name == v) return num;
  }
  return absl::InvalidArgumentError("unknown signal " + s);
}

json Time(const v1::Timestamp& t) { return json{{"seconds", t.seconds()}, {"nanos", t.nanos()}}; }

void Print(const json& j) { printf("%s\n", j.dump().c_str()); }

// Copies stdin to the attach socket and the socket to stdout until the
// socket ends (the process exited) or stdin ends and the peer closes.
absl::Status Attach(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(path));
  struct pollfd fds[2] = {{fd.get(), POLLIN, 0}, {0, POLLIN, 0}};
  int nfds = 2;
  char buf[32768];
  for (;;) {
    if (RetryEintr([&] { return ::poll(fds, nfds, -1); }) < 0) return ErrnoStatus("poll");
    if (fds[0].revents) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0) return absl::OkStatus();
      if (::write(1, buf, static_cast<size_t>(n)) < 0) return ErrnoStatus("write", "stdout");
    }
    if (nfds == 2 && fds[1].revents) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) {
        nfds = 1;  // stdin ended; keep reading output
        continue;
      }
      if (::send(fd.get(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) {
        return ErrnoStatus("send", path);
      }
    }
  }
}

absl::Status Run(ShimClient& c, const std::string& cmd, const ParsedFlags& f,
                 const std::vector<std::string>& pos, const std::string& socket) {
  std::string exec_id = f.GetOr("exec", "");
  if (cmd == "connect") {
    v1::ConnectResponse r;
    RETURN_IF_ERROR(c.Call("Connect", v1::ConnectRequest(), &r));
    Print({{"shim_pid", r.shim_pid()}, {"task_pid", r.task_pid()}, {"version", r.version()}});
  } else if (cmd == "create") {
    v1::CreateRequest req;
    req.set_terminal(f.Has("tty"));
    req.set_stdin(f.Has("stdin"));
    v1::CreateResponse r;
    RETURN_IF_ERROR(c.Call("Create", req, &r));
    Print({{"pid", r.pid()}});
  } else if (cmd == "start") {
    v1::StartRequest req;
    req.set_exec_id(exec_id);
    v1::StartResponse r;
    RETURN_IF_ERROR(c.Call("Start", req, &r));
    Print({{"pid", r.pid()}});
  } else if (cmd == "state") {
    v1::StateRequest req;
    req.set_exec_id(exec_id);
    v1::StateResponse r;
    RETURN_IF_ERROR(c.Call("State", req, &r));
    Print({{"id", r.id()},
           {"exec_id", r.exec_id()},
           {"bundle", r.bundle()},
           {"pid", r.pid()},
           {"status", r.status()},
           {"terminal", r.terminal()},
           {"exit_status", r.exit_status()},
           {"exited_at", Time(r.exited_at())},
           {"attach_socket", r.attach_socket()}});
  } else if (cmd == "pids") {
    v1::PidsResponse r;
    RETURN_IF_ERROR(c.Call("Pids", v1::PidsRequest(), &r));
    Print(json{{"pids", std::vector<uint32_t>(r.pids().begin(), r.pids().end())}});
  } else if (cmd == "kill") {
    if (pos.empty()) return absl::InvalidArgumentError("kill: SIGNAL missing");
    ASSIGN_OR_RETURN(int sig, ParseSignal(pos[0]));
    v1::KillRequest req;
    req.set_exec_id(exec_id);
    req.set_signal(static_cast<uint32_t>(sig));
    req.set_all(f.Has("all"));
    RETURN_IF_ERROR(c.Call("Kill", req, nullptr));
  } else if (cmd == "exec") {
    ASSIGN_OR_RETURN(std::string spec, ReadFile(f.GetOr("process", "")));
    v1::ExecRequest req;
    req.set_exec_id(exec_id);
    req.set_terminal(f.Has("tty"));
    req.set_stdin(f.Has("stdin"));
    req.set_spec(spec);
    v1::ExecResponse r;
    RETURN_IF_ERROR(c.Call("Exec", req, &r));
    Print({{"attach_socket", r.attach_socket()}});
  } else if (cmd == "resize") {
    unsigned w = 0, h = 0;
    if (pos.size() != 2 || !absl::SimpleAtoi(pos[0], &w) || !absl::SimpleAtoi(pos[1], &h)) {
      return absl::InvalidArgumentError("resize: WIDTH HEIGHT expected");
    }
    v1::ResizePtyRequest req;
    req.set_exec_id(exec_id);
    req.set_width(w);
    req.set_height(h);
    RETURN_IF_ERROR(c.Call("ResizePty", req, nullptr));
  } else if (cmd == "close-io") {
    v1::CloseIORequest req;
    req.set_exec_id(exec_id);
    req.set_stdin(true);
    RETURN_IF_ERROR(c.Call("CloseIO", req, nullptr));
  } else if (cmd == "wait") {
    v1::WaitRequest req;
    req.set_exec_id(exec_id);
    v1::WaitResponse r;
    RETURN_IF_ERROR(c.Call("Wait", req, &r));
    printf("%u\n", r.exit_status());
  } else if (cmd == "pause") {
    RETURN_IF_ERROR(c.Call("Pause", v1::PauseRequest(), nullptr));
  } else if (cmd == "resume") {
    RETURN_IF_ERROR(c.Call("Resume", v1::ResumeRequest(), nullptr));
  } else if (cmd == "update") {
    if (pos.empty()) return absl::InvalidArgumentError("update: FILE or - expected");
    ASSIGN_OR_RETURN(std::string res, ReadFile(pos[0] == "-" ? "/dev/stdin" : pos[0]));
    v1::UpdateRequest req;
    req.set_resources(res);
    RETURN_IF_ERROR(c.Call("Update", req, nullptr));
  } else if (cmd == "stats") {
    v1::StatsResponse r;
    RETURN_IF_ERROR(c.Call("Stats", v1::StatsRequest(), &r));
    Print({{"cpu_usage_ns", r.cpu_usage_ns()},
           {"memory_usage_bytes", r.memory_usage_bytes()},
           {"memory_limit_bytes", r.memory_limit_bytes()},
           {"pids_current", r.pids_current()}});
  } else if (cmd == "delete") {
    v1::DeleteRequest req;
    req.set_exec_id(exec_id);
    v1::DeleteResponse r;
    RETURN_IF_ERROR(c.Call("Delete", req, &r));
    Print({{"pid", r.pid()}, {"exit_status", r.exit_status()}, {"exited_at", Time(r.exited_at())}});
  } else if (cmd == "shutdown") {
    v1::ShutdownRequest req;
    req.set_now(f.Has("now"));
    RETURN_IF_ERROR(c.Call("Shutdown", req, nullptr));
  } else if (cmd == "events") {
    int n = 1;
    if (!pos.empty() && !absl::SimpleAtoi(pos[0], &n))
      return absl::InvalidArgumentError("events N");
    for (int i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(v1::Event ev, c.NextEvent());
      json j = {{"topic", ev.topic()}};
      v1::TaskExit te;
      v1::ExecExit ee;
      v1::OOM oom;
      if (ev.topic() == "/tasks/exit" && te.ParseFromString(ev.payload())) {
        j.update({{"id", te.id()}, {"pid", te.pid()}, {"exit_status", te.exit_status()}});
      } else if (ev.topic() == "/tasks/exec-exit" && ee.ParseFromString(ev.payload())) {
        j.update({{"id", ee.id()},
                  {"exec_id", ee.exec_id()},
                  {"pid", ee.pid()},
                  {"exit_status", ee.exit_status()}});
      } else if (ev.topic() == "/tasks/oom" && oom.ParseFromString(ev.payload())) {
        j["id"] = oom.id();
      }
      Print(j);
      fflush(stdout);
    }
  } else if (cmd == "attach") {
    v1::StateRequest req;
    req.set_exec_id(exec_id);
    v1::StateResponse r;
    RETURN_IF_ERROR(c.Call("State", req, &r));
    (void)socket;
    return Attach(r.attach_socket());
  } else {
    return absl::InvalidArgumentError("unknown command '" + cmd + "'");
  }
  return absl::OkStatus();
}

absl::Status Main(const std::vector<std::string>& args) {
  std::vector<FlagSpec> global = {{{"socket", "s"}}};
  ASSIGN_OR_RETURN(ParsedFlags g, ParseFlags(global, args));
  std::string socket = g.GetOr("socket", "");
  if (socket.empty() || g.positional().empty()) {
    return absl::InvalidArgumentError(
        "usage: berth-shimctl --socket PATH COMMAND [ARGS] (see shimctl.h)");
  }
  std::string cmd = g.positional()[0];
  std::vector<std::string> rest(g.positional().begin() + 1, g.positional().end());
  std::vector<FlagSpec> specs = {{{"exec"}},         {{"process"}},    {{"tty"}, false},
                                 {{"stdin"}, false}, {{"all"}, false}, {{"now"}, false}};
  ASSIGN_OR_RETURN(ParsedFlags f, ParseFlags(specs, rest, /*stop_at_positional=*/false));
  ASSIGN_OR_RETURN(ShimClient client, ShimClient::Connect(socket));
  return Run(client, cmd, f, f.positional(), socket);
}

}  // namespace

int ShimctlMain(const std::vector<std::string>& args) {
  absl::Status s = Main(args);
  if (!s.ok()) {
    fprintf(stderr, "berth-shimctl: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace berth::shim
