#!/usr/bin/env bash
# bench/shim/bench.sh [-n N]: N (default 50) idle containers (`sleep 3600`,
# busybox) under berth-shim, then N under containerd-shim-runc-v2 (Debian's
# containerd, started privately in a temp dir, `ctr run -d --null-io` of a
# locally built busybox image), the same runtime behind both (RUNTIME,
# default runc). Reports per shim the median and max RSS, PSS
# (/proc/PID/smaps_rollup) and threads, and the wall time to start all N
# containers one after another (shim start + create + start for berth-shim,
# `ctr run -d` for containerd). Everything is stopped and removed at exit.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$REPO/build/bin}
RUNTIME=${RUNTIME:-runc}
N=50
[[ ${1:-} == -n ]] && N=$2
[[ $(id -u) -eq 0 ]] || { echo "bench/shim: needs root" >&2; exit 1; }
RT=$(command -v "$RUNTIME") || { echo "runtime $RUNTIME not found" >&2; exit 1; }

T=$(mktemp -d /tmp/berth-shim-bench.XXXXXX)
TAG=${T##*.}
TAG=${TAG,,}
SOCK=$T/containerd.sock
NS=bench
CG=/berth-bench-$TAG
CTRD_PID=""
berth_pids=()

now_ms() { date +%s%3N; }
c() { timeout 60 ctr -a "$SOCK" -n "$NS" "$@"; }
our_ctr_shims() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "containerd-shim.*-address $SOCK " && echo "${p#/proc/}"
  done
  return 0
}

cleanup() {
  local p i id
  for i in "${!berth_pids[@]}"; do
    "$BERTH_BIN/berth-shimctl" --socket "$T/b$i/shim.sock" kill KILL >/dev/null 2>&1
  done
  sleep 0.3
  for i in "${!berth_pids[@]}"; do
    "$BERTH_BIN/berth-shimctl" --socket "$T/b$i/shim.sock" delete >/dev/null 2>&1
    "$BERTH_BIN/berth-shimctl" --socket "$T/b$i/shim.sock" shutdown --now >/dev/null 2>&1
    kill -9 "${berth_pids[$i]}" 2>/dev/null
  done
  for d in "$T"/berth-root/*/; do [[ -d $d ]] && "$RT" --root "$T/berth-root" delete --force "$(basename "$d")" >/dev/null 2>&1; done
  if [[ -n $CTRD_PID ]]; then
    for id in $(c tasks ls -q 2>/dev/null); do c tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.5
    for id in $(c tasks ls -q 2>/dev/null); do c tasks rm -f "$id" >/dev/null 2>&1; done
    for id in $(c containers ls -q 2>/dev/null); do c containers rm "$id" >/dev/null 2>&1; done
    for id in $(c images ls -q 2>/dev/null); do c images rm "$id" >/dev/null 2>&1; done
    kill -TERM "$CTRD_PID" 2>/dev/null
    wait "$CTRD_PID" 2>/dev/null
  fi
  for p in $(our_ctr_shims); do kill -KILL "$p"; done
  for id in $(seq 0 $((N - 1))); do
    rm -f "/run/containerd/s/$(printf '%s' "$SOCK/$NS/c$TAG-$id" | sha256sum | cut -d' ' -f1)"
  done
  awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  for d in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/unified/"$CG"; do [[ -d $d ]] && rmdir "$d"/* "$d" 2>/dev/null; done
  for d in /sys/fs/cgroup/*/b"$TAG"-* /sys/fs/cgroup/unified/b"$TAG"-*; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

# stats PID...: "rss_kib pss_kib threads" per pid, then the medians and maxima.
report() {
  local name=$1
  shift
  local p
  for p in "$@"; do
    local rss pss thr
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
    thr=$(awk '/^Threads:/ {print $2}' "/proc/$p/status")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
    echo "$rss $pss $thr"
  done | python3 -c '
import statistics, sys
rows = [list(map(int, l.split())) for l in sys.stdin if l.strip()]
name, ms = sys.argv[1], sys.argv[2]
cols = list(zip(*rows))
med = lambda c: statistics.median(c)
print(f"{name:24} shims={len(rows):3}  RSS median {med(cols[0])/1024:6.2f} MiB (max {max(cols[0])/1024:.2f})"
      f"  PSS median {med(cols[1])/1024:6.2f} MiB (max {max(cols[1])/1024:.2f})"
      f"  threads median {med(cols[2]):g} (max {max(cols[2])})  start all: {int(ms)/1000:.2f} s")
' "$name" "$ELAPSED"
}

# ------------------------------------------------------------- berth-shim
"$REPO/scripts/make-busybox-bundle.sh" "$T/bundle" >/dev/null || exit 1
jq '.process.args = ["sleep", "3600"]' "$T/bundle/config.json" >"$T/c.json" && mv "$T/c.json" "$T/bundle/config.json"
mkdir -p "$T/berth-root"
start=$(now_ms)
for ((i = 0; i < N; i++)); do
  "$BERTH_BIN/berth-shim" --id "b$TAG-$i" --bundle "$T/bundle" --state-dir "$T/b$i" --runtime "$RT" \
    --runtime-root "$T/berth-root" --log-path "$T/b$i.log" >/dev/null || { echo "berth-shim $i failed" >&2; exit 1; }
  berth_pids[i]=$(cat "$T/b$i/shim.pid")
  "$BERTH_BIN/berth-shimctl" --socket "$T/b$i/shim.sock" create >/dev/null &&
    "$BERTH_BIN/berth-shimctl" --socket "$T/b$i/shim.sock" start >/dev/null || { echo "container $i failed" >&2; exit 1; }
done
ELAPSED=$(($(now_ms) - start))
sleep 1
report berth-shim "${berth_pids[@]}"

# ------------------------------------------------ containerd-shim-runc-v2
cat >"$T/containerd.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$T/containerd/opt"
EOF
containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
CTRD_PID=$!
for ((i = 0; i < 300; i++)); do ctr -a "$SOCK" version >/dev/null 2>&1 && break; sleep 0.1; done
"$REPO/scripts/make-busybox-image.sh" "$T/busybox.tar" >/dev/null || exit 1
c images import "$T/busybox.tar" >/dev/null || exit 1
start=$(now_ms)
for ((i = 0; i < N; i++)); do
  c run -d --null-io --runc-binary "$RT" --runc-root "$T/ctr-runc" --fifo-dir "$T/fifo" \
    --cgroup "$CG/c$i" docker.io/library/busybox:latest "c$TAG-$i" sleep 3600 >/dev/null ||
    { echo "ctr run $i failed" >&2; exit 1; }
done
ELAPSED=$(($(now_ms) - start))
sleep 1
mapfile -t ctr_pids < <(our_ctr_shims)
report containerd-shim-runc-v2 "${ctr_pids[@]}"
