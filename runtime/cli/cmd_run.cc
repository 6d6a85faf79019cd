#include "common/file_util.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"
#include "runtime/container/tty_proxy.h"

namespace berth::runtime::cli {

absl::StatusOr<CreateOptions> CreateOptionsFrom(const Context& ctx, const ParsedFlags& f);
std::vector<FlagSpec> CreateFlags();

static bool WantsTerminal(const CreateOptions& o) {
  auto text = ReadFile((o.bundle.empty() ? std::string(".") : o.bundle) + "/config.json");
  if (!text.ok()) return false;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("process") && j["process"].is_object() &&
         j["process"].value("terminal", false);
}

static absl::StatusOr<int> RunRun(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "run", 1));
  ASSIGN_OR_RETURN(CreateOptions opts, CreateOptionsFrom(ctx, f));
  const bool detach = f.Has("detach");
  // In the foreground a terminal needs no console socket: we are the receiver.
  std::optional<TtyProxy> proxy;
  if (!detach && opts.console_socket.empty() && WantsTerminal(opts)) {
    ASSIGN_OR_RETURN(proxy, TtyProxy::Create());
    opts.console_fd = proxy->container_end();
  }
  ASSIGN_OR_RETURN(pid_t pid, CreateContainer(ctx.store, opts, ctx.log));
  if (proxy) proxy->CloseContainerEnd();
  if (absl::Status st = StartContainer(ctx.store, opts.id, ctx.log); !st.ok()) {
    (void)DeleteContainer(ctx.store, opts.id, true, ctx.log);
    return st;
  }
  if (detach) return 0;
  int code;
  if (proxy) {
    RETURN_IF_ERROR(proxy->ReceiveMaster());
    code = proxy->Run(pid);
  } else {
    code = WaitForwardingSignals(pid);
  }
  if (!f.Has("keep")) RETURN_IF_ERROR(DeleteContainer(ctx.store, opts.id, true, ctx.log));
  return code;
}

static std::vector<FlagSpec> RunFlags() {
  auto flags = CreateFlags();
  flags.push_back({{"detach", "d"}, false});
  flags.push_back({{"keep"}, false});
  return flags;
}

const Command kRun = {"run", "run [command options] <container-id>", "create and run a container",
                      RunFlags(), RunRun};

}  // namespace berth::runtime::cli
