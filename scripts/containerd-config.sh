#!/usr/bin/env bash
# containerd-config.sh DIR SOCKET [LEVEL]: prints the config of a private
# containerd, as the peer tests and bench/manager start one: root, state and
# the opt plugin under DIR, gRPC on SOCKET (ttrpc on SOCKET.ttrpc), no debug
# or metrics listener, log level LEVEL (default info), and the CRI plugin,
# tracing and the snapshotters that need special filesystems disabled.
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: containerd-config.sh DIR SOCKET [LEVEL]" >&2
  exit 2
fi
dir=$1 sock=$2 level=${3:-info}
cat <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = ""
  level = "$level"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$dir/opt"
EOF
