// The OCI runtime spec (config.json) of a new container, made from an
// image's config, as containerd's oci.WithImageConfig over its default spec.
//
// It starts from runc's default spec (runtime/spec/default_spec.h), widened
// to containerd's default capability set, then applies the image config:
//   process.args   Entrypoint + (opts.args if any, else Cmd)
//   process.env    PATH default, then the image's Env, then opts.env (a later
//                  K=V replaces an earlier K); TERM=xterm with a terminal
//   process.cwd    opts.cwd, else WorkingDir, else "/"
//   process.user   opts.user, else User: numeric "uid[:gid]" only (names are
//                  resolved from the rootfs by the engine, not here)
//   hostname       opts.hostname
//   root           {"path": "rootfs", "readonly": false}
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::manager {

struct SpecOptions {
  std::vector<std::string> args;  // replaces the image's Cmd when not empty
  std::vector<std::string> env;   // K=V, added after the image's Env
  bool tty = false;
  std::string cwd;
  std::string user;      // "uid[:gid]"
  std::string hostname;  // usually the container id
};

// InvalidArgument when the image config does not parse, when there is no
// command to run, or when a user is not numeric.
absl::StatusOr<std::string> SpecFromImage(const std::string& image_config_json,
                                          const SpecOptions& opts);

}  // namespace berth::manager
