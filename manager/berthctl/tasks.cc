// berthctl tasks ls|start|kill|exec|ps|pause|resume|metrics|delete (ctr's
// `tasks` group).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/berthctl/attach.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/containers.grpc.pb.h"
#include "proto/manager/v1/tasks.grpc.pb.h"
#include "runtime/signals.h"

namespace berth::berthctl {
namespace {

using Json = nlohmann::ordered_json;

absl::StatusOr<v1::Container> GetContainer(Client& c, const std::string& id) {
  v1::GetContainerRequest req;
  req.set_id(id);
  v1::GetContainerResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Containers::Stub::Get, req, &resp));
  return resp.container();
}

absl::Status DeleteTask(Client& c, const std::string& id, bool force) {
  v1::DeleteTaskRequest req;
  req.set_container_id(id);
  req.set_force(force);
  v1::DeleteResponse resp;
  return c.Call(&v1::Tasks::Stub::Delete, req, &resp);
}

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("tasks ls [-q]", {{{"quiet", "q"}, false}}, args, 0, 0));
  v1::ListTasksResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::List, v1::ListTasksRequest(), &resp));
  if (f.Has("quiet")) {
    for (const auto& t : resp.tasks()) printf("%s\n", t.container_id().c_str());
    return 0;
  }
  TabWriter w(4, 4);
  w.Line("TASK\tPID\tSTATUS\t");
  for (const auto& t : resp.tasks()) {
    w.Line(absl::StrCat(t.container_id(), "\t", t.pid(), "\t", v1::Status_Name(t.status())));
  }
  w.Flush();
  return 0;
}

// Creates the task of an existing container and starts it (ctr tasks start);
// attached, it is deleted once it has exited.
absl::StatusOr<int> Start(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("tasks start [-d] ID", {{{"detach", "d"}, false}}, args, 1, 1));
  const std::string& id = f.positional()[0];
  bool detach = f.Has("detach");
  SignalForwarder fwd;
  ASSIGN_OR_RETURN(v1::Container ctr, GetContainer(c, id));
  Json spec = Json::parse(ctr.spec(), nullptr, false);
  bool tty = spec.is_object() && spec["process"].value("terminal", false);
  ASSIGN_OR_RETURN(int code, CreateAndStartTask(c, fwd, id, tty, detach));
  if (!detach) RETURN_IF_ERROR(DeleteTask(c, id, false));
  return code;
}

absl::StatusOr<int> Kill(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(
      ParsedFlags f,
      ParseCommand("tasks kill [-s SIGNAL] [-a] [--exec-id EID] ID",
                   {{{"signal", "s"}}, {{"all", "a"}, false}, {{"exec-id"}}}, args, 1, 1));
  ASSIGN_OR_RETURN(int sig, runtime::ParseSignal(f.GetOr("signal", "SIGTERM")));
  v1::KillRequest req;
  req.set_container_id(f.positional()[0]);
  req.set_exec_id(f.GetOr("exec-id", ""));
  req.set_signal(static_cast<uint32_t>(sig));
  req.set_all(f.Has("all"));
  v1::KillResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Kill, req, &resp));
  return 0;
}

// The exec's process JSON: the container's process with args and terminal
// replaced (and cwd, env, user when given).
absl::StatusOr<std::string> ExecProcessJson(const v1::Container& ctr, const ParsedFlags& f,
                                            const Args& command, bool tty) {
  Json spec = Json::parse(ctr.spec(), nullptr, false);
  if (!spec.is_object() || !spec["process"].is_object()) {
    return absl::FailedPreconditionError("container " + ctr.id() + " has no process in its spec");
  }
  Json process = spec["process"];
  process["args"] = command;
  process["terminal"] = tty;
  if (auto cwd = f.Get("cwd")) process["cwd"] = *cwd;
  for (const auto& kv : f.GetAll("env")) process["env"].push_back(kv);
  if (auto user = f.Get("user")) {
    uint32_t uid = 0, gid = 0;
    size_t colon = user->find(':');
    if (!absl::SimpleAtoi(user->substr(0, colon), &uid) ||
        (colon != std::string::npos && !absl::SimpleAtoi(user->substr(colon + 1), &gid))) {
      return absl::InvalidArgumentError("user \"" + *user +
                                        "\": only a numeric uid[:gid] is supported");
    }
    process["user"] = Json{{"uid", uid}, {"gid", gid}};
  }
  return process.dump();
}

absl::StatusOr<int> Exec(Client& c, const Args& args) {
  static const char kUsage[] =
      "tasks exec --exec-id EID [-t] [-d] [--cwd DIR] [--env K=V]... [--user UID[:GID]] ID CMD "
      "[ARGS...]";
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand(kUsage,
                                               {{{"exec-id"}},
                                                {{"tty", "t"}, false},
                                                {{"detach", "d"}, false},
                                                {{"cwd"}},
                                                {{"env", "e"}},
                                                {{"user", "u"}}},
                                               args, 2));
  if (!f.Has("exec-id")) return absl::InvalidArgumentError("exec-id is required");
  ProcessRef ref{f.positional()[0], f.GetOr("exec-id", "")};
  bool tty = f.Has("tty"), detach = f.Has("detach");
  SignalForwarder fwd;
  ASSIGN_OR_RETURN(v1::Container ctr, GetContainer(c, ref.container_id));
  Args command(f.positional().begin() + 1, f.positional().end());
  v1::ExecProcessRequest req;
  req.set_container_id(ref.container_id);
  req.set_exec_id(ref.exec_id);
  req.set_terminal(tty);
  req.set_stdin(!detach);
  ASSIGN_OR_RETURN(*req.mutable_spec(), ExecProcessJson(ctr, f, command, tty));
  v1::ExecProcessResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Exec, req, &resp));
  if (!detach) fwd.Start(&c, ref, tty);
  ASSIGN_OR_RETURN(int code,
                   StartAndWait(c, ref, resp.process().attach_socket(),
                                AttachOptions{.tty = tty, .stdin = !detach, .detach = detach}));
  if (!detach) {
    v1::DeleteProcessRequest del;
    del.set_container_id(ref.container_id);
    del.set_exec_id(ref.exec_id);
    v1::DeleteResponse deleted;
    RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::DeleteProcess, del, &deleted));
  }
  return code;
}

// Not in ctr: the process as JSON (status, pid, exit status, sockets).
absl::StatusOr<int> Get(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("tasks get [--exec-id EID] ID", {{{"exec-id"}}}, args, 1, 1));
  v1::GetTaskRequest req;
  req.set_container_id(f.positional()[0]);
  req.set_exec_id(f.GetOr("exec-id", ""));
  v1::GetTaskResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Get, req, &resp));
  const v1::Process& p = resp.process();
  Json j = {{"container_id", p.container_id()},
            {"exec_id", p.exec_id()},
            {"pid", p.pid()},
            {"status", v1::Status_Name(p.status())},
            {"terminal", p.terminal()},
            {"exit_status", p.exit_status()},
            {"exited_at", p.exited_at()},
            {"attach_socket", p.attach_socket()},
            {"log_path", p.log_path()}};
  printf("%s\n", j.dump(4).c_str());
  return 0;
}

absl::StatusOr<int> Ps(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("tasks ps ID", {}, args, 1, 1));
  v1::ListPidsRequest req;
  req.set_container_id(f.positional()[0]);
  v1::ListPidsResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::ListPids, req, &resp));
  TabWriter w(1, 4);
  w.Line("PID\tINFO");
  for (uint32_t pid : resp.pids()) w.Line(absl::StrCat(pid, "\t-"));
  w.Flush();
  return 0;
}

// Blocks until the process exits; prints its exit status (as `docker wait`).
absl::StatusOr<int> Wait(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("tasks wait [--exec-id ID] ID", {{{"exec-id"}}}, args, 1, 1));
  v1::WaitRequest req;
  req.set_container_id(f.positional()[0]);
  req.set_exec_id(f.GetOr("exec-id", ""));
  v1::WaitResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Wait, req, &resp));
  printf("%u\n", resp.exit_status());
  return 0;
}

absl::StatusOr<int> Pause(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("tasks pause ID", {}, args, 1, 1));
  v1::PauseTaskRequest req;
  req.set_container_id(f.positional()[0]);
  v1::PauseTaskResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Pause, req, &resp));
  return 0;
}

absl::StatusOr<int> Resume(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("tasks resume ID", {}, args, 1, 1));
  v1::ResumeTaskRequest req;
  req.set_container_id(f.positional()[0]);
  v1::ResumeTaskResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Resume, req, &resp));
  return 0;
}

absl::StatusOr<int> Metrics(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("tasks metrics [--format table|json] ID",
                                               {{{"format"}}}, args, 1, 1));
  v1::MetricsRequest req;
  req.set_container_id(f.positional()[0]);
  v1::MetricsResponse r;
  RETURN_IF_ERROR(c.Call(&v1::Tasks::Stub::Metrics, req, &r));
  Json j = {{"cpu.usage_ns", r.cpu_usage_ns()},
            {"memory.usage_bytes", r.memory_usage_bytes()},
            {"memory.limit_bytes", r.memory_limit_bytes()},
            {"pids.current", r.pids_current()}};
  if (f.GetOr("format", "table") == "json") {
    printf("%s\n", j.dump(4).c_str());
    return 0;
  }
  TabWriter w(1, 1);
  w.Line("METRIC\tVALUE\t");
  for (const auto& [k, v] : j.items()) w.Line(absl::StrCat(k, "\t", v.get<uint64_t>(), "\t"));
  w.Flush();
  return 0;
}

absl::StatusOr<int> Delete(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("tasks delete [-f] ID...", {{{"force", "f"}, false}}, args, 1));
  bool force = f.Has("force");
  RETURN_IF_ERROR(ForEachName(
      f.positional(), [&c, force](const std::string& id) { return DeleteTask(c, id, force); }));
  return 0;
}

}  // namespace

absl::StatusOr<int> TasksMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"ls", "list"}, List, "tasks ls"},
      {{"start"}, Start, "tasks start"},
      {{"kill"}, Kill, "tasks kill"},
      {{"exec"}, Exec, "tasks exec"},
      {{"get"}, Get, "tasks get"},
      {{"ps"}, Ps, "tasks ps"},
      {{"wait"}, Wait, "tasks wait"},
      {{"pause"}, Pause, "tasks pause"},
      {{"resume"}, Resume, "tasks resume"},
      {{"metrics", "metric"}, Metrics, "tasks metrics"},
      {{"rm", "delete", "del", "remove"}, Delete, "tasks delete"},
  };
  return Dispatch("tasks", kCommands, client, args);
}

}  // namespace berth::berthctl
