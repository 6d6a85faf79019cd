// The runc command line, for any runc-compatible runtime (berth-runtime, runc,
// crun): `<runtime> --root R --log L --log-format json <verb> ...`. Each call
// runs the runtime to completion (it only sets processes up and exits). On
// failure the error is the msg of the last "level":"error" line the runtime
// wrote to its JSON log during this call (containerd's getLastRuntimeError),
// else what it printed on stderr, else its exit status.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

struct RuntimeOptions {
  std::string binary = "berth-runtime";
  std::string root;      // --root; empty: the runtime's default
  std::string log_path;  // --log, JSON lines
};

// The runtime's stdio: the container's, for create and exec (-1: /dev/null).
struct ChildStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// The msg of the last "level":"error" JSON line in log ("" if none).
std::string LastRuntimeError(absl::string_view log);

class RuntimeCli {
 public:
  explicit RuntimeCli(RuntimeOptions options) : options_(std::move(options)) {}

  absl::Status Create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                      const std::string& console_socket, const ChildStdio& stdio);
  absl::Status Exec(const std::string& id, const std::string& process_file,
                    const std::string& pid_file, const std::string& console_socket,
                    const ChildStdio& stdio);
  absl::Status Start(const std::string& id);
  absl::Status Kill(const std::string& id, int signal, bool all);
  absl::Status Pause(const std::string& id);
  absl::Status Resume(const std::string& id);
  absl::Status Update(const std::string& id, absl::string_view resources_json);
  absl::Status Delete(const std::string& id, bool force);

 private:
  absl::Status Run(const std::vector<std::string>& args, const ChildStdio& stdio,
                   absl::string_view input = {});
  RuntimeOptions options_;
};

}  // namespace berth::shim
