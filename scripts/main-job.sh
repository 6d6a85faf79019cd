#!/usr/bin/env bash
# The main job: install, build, then run containers from a locally built
# busybox image through the stack that exists so far:
#   1. berth-runtime alone on an OCI bundle (as runc);
#   2. berth-manager (private root, state and socket) -> berth-shim ->
#      berth-runtime, driven by berthctl: import the image, run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=$repo/build/bin
scripts/install-deps.sh
scripts/build.sh
work=$(mktemp -d /tmp/berth-main.XXXXXX)
cgroup_parent=/${work##*/}  # the manager's containers' cgroups, removed at exit
manager_pid=
cleanup() {
  "$bin/berth-runtime" --root "$work/state" delete --force hello >/dev/null 2>&1 || true
  if [[ -n $manager_pid ]]; then
    "$bin/berthctl" --address "$work/m.sock" tasks delete -f hello2 >/dev/null 2>&1 || true
    "$bin/berthctl" --address "$work/m.sock" containers rm hello2 >/dev/null 2>&1 || true
    kill "$manager_pid" 2>/dev/null && wait "$manager_pid" 2>/dev/null || true
  fi
  awk -v t="$work/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  find /sys/fs/cgroup -depth -type d \( -path "*$cgroup_parent" -o -path "*$cgroup_parent/*" \) \
    -exec rmdir {} + 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== berth-runtime run (an OCI bundle, as runc)"
scripts/make-busybox-bundle.sh "$work/bundle" --probe "$bin/probe" >/dev/null
(cd "$work/bundle" &&
  jq '.process.args = ["sh", "-c", "echo hello from inside a berth container; /bin/probe ids uts ns"]' \
    config.json >config.json.new && mv config.json.new config.json &&
  "$bin/berth-runtime" --root "$work/state" run hello)

echo "== berth-manager + berth-shim + berth-runtime, driven by berthctl"
scripts/make-busybox-image.sh "$work/busybox.tar" --format docker --probe "$bin/probe" >/dev/null
"$bin/berth-manager" --root "$work/root" --state "$work/run" --address "$work/m.sock" \
  --cgroup-parent "$cgroup_parent" >"$work/manager.log" 2>&1 &
manager_pid=$!
for _ in $(seq 100); do [[ -S $work/m.sock ]] && break; sleep 0.05; done
ctl() { "$bin/berthctl" --address "$work/m.sock" "$@"; }
ctl images import "$work/busybox.tar"
ctl images ls
ctl run --rm docker.io/library/busybox:latest hello2 \
  sh -c 'echo hello from a container the manager started; /bin/probe ids uts'
