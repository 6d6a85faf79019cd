#include "manager/server.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "common/status.h"
#include "manager/manager.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

constexpr char kUsage[] =
    "usage: berth-manager [--root DIR] [--state DIR] [--address SOCK] [--log-level LEVEL]\n"
    "                     [--shim PATH] [--runtime PATH] [--cgroup-parent PATH]\n";

// Binaries default to the ones installed beside this executable.
std::string Sibling(const std::string& name) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return name;
  std::string dir(self, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/') + 1) + name;
}

absl::StatusOr<ManagerConfig> ParseConfig(const std::vector<std::string>& args) {
  std::vector<FlagSpec> specs = {
      {{"root"}}, {{"state"}},   {{"address", "a"}},  {{"log-level"}},
      {{"shim"}}, {{"runtime"}}, {{"cgroup-parent"}}, {{"help", "h"}, false}};
  ASSIGN_OR_RETURN(ParsedFlags f, ParseFlags(specs, args, false));
  if (f.Has("help")) return absl::CancelledError(kUsage);
  if (!f.positional().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", f.positional()[0], "\""));
  }
  ManagerConfig c;
  c.root = f.GetOr("root", c.root);
  c.state = f.GetOr("state", c.state);
  c.address = f.GetOr("address", c.address);
  c.log_level = f.GetOr("log-level", c.log_level);
  c.shim_binary = f.GetOr("shim", Sibling("berth-shim"));
  c.runtime_binary = f.GetOr("runtime", Sibling("berth-runtime"));
  c.cgroup_parent = f.GetOr("cgroup-parent", c.cgroup_parent);
  for (const std::string* p : {&c.root, &c.state, &c.address, &c.cgroup_parent}) {
    if (p->empty() || (*p)[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("\"", *p, "\": paths must be absolute"));
    }
  }
  static const char* kLevels[] = {"debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level \"", c.log_level, "\": expected debug, info, warn or error"));
  }
  return c;
}

}  // namespace

int ServerMain(const std::vector<std::string>& args) {
  absl::StatusOr<ManagerConfig> config = ParseConfig(args);
  if (absl::IsCancelled(config.status())) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!config.ok()) {
    std::fprintf(stderr, "berth-manager: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  // SIGPIPE: a client or shim that went away is an error return, not death.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before any thread starts

  absl::StatusOr<std::unique_ptr<Manager>> m = Manager::Open(*config);
  if (!m.ok()) {
    std::fprintf(stderr, "berth-manager: %s\n", std::string(m.status().message()).c_str());
    return 1;
  }
  Manager& manager = **m;
  NamespacesService namespaces(manager);
  ContentService content(manager);
  ImagesService images(manager);
  TransferService transfer(manager);
  SnapshotsService snapshots(manager);
  ContainersService containers(manager);
  TasksService tasks(manager);
  EventsService events(manager);

  (void)MkdirAll(config->address.substr(0, config->address.rfind('/')), 0711);
  ::unlink(config->address.c_str());  // a socket left by a killed manager
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config->address, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(16 << 20);
  for (grpc::Service* s : std::initializer_list<grpc::Service*>{
           &namespaces, &content, &images, &transfer, &snapshots, &containers, &tasks, &events}) {
    builder.RegisterService(s);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "berth-manager: cannot listen on %s\n", config->address.c_str());
    return 1;
  }
  if (config->log_level == "debug" || config->log_level == "info") {
    std::fprintf(stderr, "berth-manager: serving on %s (root %s, state %s)\n",
                 config->address.c_str(), config->root.c_str(), config->state.c_str());
  }
  int sig = 0;
  sigwait(&stop, &sig);
  manager.tasks().EndWaits(absl::UnavailableError("berth-manager is stopping"));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  ::unlink(config->address.c_str());
  return 0;
}

}  // namespace berth::manager
