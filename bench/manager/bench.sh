#!/usr/bin/env bash
# bench/manager/bench.sh [--runs N] [--prepares N] [--idle S] [--keep-tmp]
#
# berth-manager against Debian's containerd, side by side in one run, each
# started privately (own --root, --state and socket in a temp dir) and driven
# by its own client (berthctl, ctr). Measured:
#
#   import    `images import FILE` of a large multi-layer docker-archive
#             image (built once from host directories, cached in
#             $BENCH_CACHE), unpacked into overlay snapshots by both. Every
#             iteration starts each daemon on an empty root; berth and
#             containerd alternate (the order flips every iteration). Only
#             the import command is timed; "+sync" adds a `sync -f` of the
#             filesystem afterwards (writeback of the unpacked files, which
#             neither daemon fsyncs). Also the root's size (du -sx) and the
#             daemon's RSS, PSS (smaps_rollup) and threads after S s idle.
#   idle      the same memory figures once more after a restart of both
#             daemons on their populated roots (the image imported, S s idle).
#   prepare   N x `snapshots prepare KEY TOP` then `snapshots rm KEY` on the
#             image's top chain id, berth and containerd alternating. Wall
#             time of the command line, so client start-up is included for
#             both (ctr labels the snapshot containerd.io/gc.root). To show
#             that floor, `namespaces ls` (one small RPC) is timed alongside.
#
# Prints medians, the ratio berth/containerd (below 1.00x: berth is smaller
# or faster) and the load average at start and end.
#
#   --runs N      import iterations per daemon (default 5)
#   --prepares N  prepare+rm pairs per daemon (default 50)
#   --idle S      idle seconds before a memory sample (default 3)
#   --keep-tmp    keep the temp dir (roots, logs, samples)
#
# Environment: BERTH_BIN (default <repo>/build/bin) for berth-manager (and its
# berth-shim/berth-runtime) and berthctl; BERTHCTL overrides berthctl alone.
# CONTAINERD, CTR (default from PATH). BENCH_CACHE (default
# /tmp/berth-bench-cache) holds the image. BENCH_LAYERS overrides the layers:
# space-separated host paths, ":gz" after a path gzips that layer.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$REPO/build/bin}
MANAGER=$BERTH_BIN/berth-manager
BERTHCTL=${BERTHCTL:-$BERTH_BIN/berthctl}
CONTAINERD=${CONTAINERD:-containerd}
CTR=${CTR:-ctr}
BENCH_CACHE=${BENCH_CACHE:-/tmp/berth-bench-cache}
BENCH_LAYERS=${BENCH_LAYERS:-/usr/lib/python3.11:gz /usr/share/doc /usr/share/man /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1 /usr/share/locale}
IMAGE=berth.bench/big:v1
NS=bench

runs=5 prepares=50 idle=3 keep=0
usage() { echo "usage: $0 [--runs N] [--prepares N] [--idle S] [--keep-tmp]" >&2; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=${2:?--runs N}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --prepares) prepares=${2:?--prepares N}; shift 2 ;;
    --prepares=*) prepares=${1#*=}; shift ;;
    --idle) idle=${2:?--idle S}; shift 2 ;;
    --idle=*) idle=${1#*=}; shift ;;
    --keep-tmp) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
for v in runs prepares idle; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --$v must be a positive integer" >&2; usage 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench.sh: must run as root (overlay mounts)" >&2; exit 1; }
for c in "$CONTAINERD" "$CTR" python3 jq tar gzip sha256sum flock; do
  command -v "$c" >/dev/null || { echo "bench.sh: needs $c" >&2; exit 1; }
done
for b in "$MANAGER" "$BERTHCTL"; do
  [[ -x $b ]] || { echo "bench.sh: $b not built (set BERTH_BIN)" >&2; exit 1; }
done
[[ $("$BERTHCTL" snapshots prepare 2>&1) == *"usage: berthctl snapshots prepare"* ]] ||
  { echo "bench.sh: $BERTHCTL has no 'snapshots prepare' (rebuild berthctl)" >&2; exit 1; }

# ---------------------------------------------------------------- the image
# repro_tar OUT DIR ARGS...: a reproducible tar (GNU format, sorted, mtime 0,
# 0:0) of ARGS relative to DIR; a path's parent directories are listed
# without recursion so the layer carries them.
repro_tar() {
  local out=$1 dir=$2
  shift 2
  tar --create --file "$out" --directory "$dir" --format=gnu --sort=name --mtime=@0 \
    --owner=0 --group=0 --numeric-owner "$@"
}

# build_image OUT: a `docker save` archive of BENCH_LAYERS plus a small top
# layer (one file, one whiteout), with manifest.json, config (rootfs.diff_ids)
# and repositories. Writes OUT.meta (layer count, sizes, diff ids).
build_image() {
  local out=$1 work i spec path rel parents p layer diff blob layers=() diffs=() hist=() ubytes=0
  work=$(mktemp -d "$BENCH_CACHE/build.XXXXXX")
  i=0
  for spec in "${BENCH_LAYERS_ARR[@]}" ""; do
    i=$((i + 1))
    if [[ -z $spec ]]; then   # the top layer
      mkdir -p "$work/top/etc" "$work/top/usr/share/man"
      echo "berth bench image" >"$work/top/etc/berth-bench"
      : >"$work/top/usr/share/man/.wh.man8"
      repro_tar "$work/layer$i.tar" "$work/top" etc usr
      hist+=("top: /etc/berth-bench, whiteout /usr/share/man/man8")
    else
      path=${spec%:gz}
      [[ -e $path ]] || { echo "bench.sh: layer source $path does not exist (set BENCH_LAYERS)" >&2; return 1; }
      rel=${path#/}
      parents=() p=$(dirname "$rel")
      while [[ $p != . ]]; do parents=("$p" "${parents[@]}"); p=$(dirname "$p"); done
      repro_tar "$work/layer$i.tar" / --no-recursion "${parents[@]}" --recursion "$rel"
      hist+=("$path")
    fi
    diff=$(sha256sum "$work/layer$i.tar" | cut -d' ' -f1)
    ubytes=$((ubytes + $(stat -c %s "$work/layer$i.tar")))
    layer=$work/layer$i.tar
    if [[ $spec == *:gz ]]; then
      gzip -n -6 "$layer"
      layer=$layer.gz
    fi
    blob=$(sha256sum "$layer" | cut -d' ' -f1)
    mkdir -p "$work/img/$blob"
    mv "$layer" "$work/img/$blob/layer.tar"
    layers+=("$blob/layer.tar") diffs+=("sha256:$diff")
  done
  local arch config cfg_sha
  arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
  config=$(jq -cn --arg arch "$arch" \
    --argjson diffs "$(printf '%s\n' "${diffs[@]}" | jq -R . | jq -cs .)" \
    --argjson hist "$(printf '%s\n' "${hist[@]}" | jq -R . | jq -cs .)" '{
      architecture: $arch, os: "linux", created: "1970-01-01T00:00:00Z",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
      rootfs: {type: "layers", diff_ids: $diffs},
      history: [$hist[] | {created: "1970-01-01T00:00:00Z", created_by: ("bench/manager/bench.sh " + .)}]}')
  cfg_sha=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"$work/img/$cfg_sha.json"
  jq -cn --arg c "$cfg_sha.json" --arg tag "$IMAGE" \
    --argjson l "$(printf '%s\n' "${layers[@]}" | jq -R . | jq -cs .)" \
    '[{Config: $c, RepoTags: [$tag], Layers: $l}]' >"$work/img/manifest.json"
  jq -cn --arg repo "${IMAGE%:*}" --arg tag "${IMAGE##*:}" --arg id "${diffs[-1]#sha256:}" \
    '{($repo): {($tag): $id}}' >"$work/img/repositories"
  (cd "$work/img" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) |
    repro_tar "$out.tmp" "$work/img" --no-recursion --files-from -
  {
    echo "layers ${#layers[@]}"
    echo "archive_bytes $(stat -c %s "$out.tmp")"
    echo "uncompressed_bytes $ubytes"
    for i in "${!diffs[@]}"; do echo "diff $i ${diffs[$i]} ${BENCH_LAYERS_ARR[$i]:-top}"; done
  } >"$out.meta"
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

mkdir -p "$BENCH_CACHE"
read -r -a BENCH_LAYERS_ARR <<<"$BENCH_LAYERS"
ARCHIVE=$BENCH_CACHE/big-$(printf '%s' "$BENCH_LAYERS" | sha256sum | cut -c1-12)-docker.tar
(
  flock 9
  if [[ ! -s $ARCHIVE || ! -s $ARCHIVE.meta ]]; then
    echo "building $ARCHIVE (once) ..."
    build_image "$ARCHIVE"
  fi
) 9>"$BENCH_CACHE/.lock"

# The chain id of all layers: the committed snapshot both daemons must make.
TOP=""
while read -r _ _ d _; do
  if [[ -z $TOP ]]; then TOP=$d; else TOP=sha256:$(printf '%s %s' "$TOP" "$d" | sha256sum | cut -d' ' -f1); fi
done < <(grep '^diff ' "$ARCHIVE.meta")

# ----------------------------------------------------------------- daemons
T=$(mktemp -d /tmp/berth-mgr-bench.XXXXXX)
B_PID="" C_PID=""
made_dirs=()
for d in /run/containerd /var/lib/containerd /run/berth /var/lib/berth; do
  [[ -e $d ]] || made_dirs+=("$d")
done

alive() { [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
unmount_under() {
  awk -v t="$1/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
# stop_pid PID: TERM, up to 10 s, then KILL; reaped.
stop_pid() {
  local i
  [[ -n $1 ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do alive "$1" || break; sleep 0.1; done
  if alive "$1"; then kill -KILL "$1" 2>/dev/null || true; fi
  wait "$1" 2>/dev/null || true
}

bctl() { timeout 600 "$BERTHCTL" --address "$T/b/m.sock" -n "$NS" "$@"; }
cctl() { timeout 600 "$CTR" --address "$T/c/containerd.sock" -n "$NS" "$@"; }

# wait_up NAME PID LOG TRIES CMD...: until CMD succeeds (every 0.1 s, at most
# TRIES times) while PID lives; otherwise says so with LOG's tail.
wait_up() {
  local name=$1 pid=$2 log=$3 tries=$4 i
  shift 4
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$pid" || break
    sleep 0.1
  done
  echo "bench.sh: $name did not start: $(tail -5 "$log")" >&2
  return 1
}

start_berth() {
  mkdir -p "$T/b"
  rm -f "$T/b/m.sock"
  "$MANAGER" --root "$T/b/root" --state "$T/b/run" --address "$T/b/m.sock" --log-level warn \
    >>"$T/b/log" 2>&1 &
  B_PID=$!
  wait_up berth-manager "$B_PID" "$T/b/log" 200 bctl namespaces ls
}
stop_berth() { stop_pid "$B_PID"; B_PID=""; }

start_containerd() {
  mkdir -p "$T/c"
  "$REPO/scripts/containerd-config.sh" "$T/c" "$T/c/containerd.sock" warn >"$T/c/config.toml"
  "$CONTAINERD" --config "$T/c/config.toml" >>"$T/c/log" 2>&1 &
  C_PID=$!
  wait_up containerd "$C_PID" "$T/c/log" 300 cctl version
}
stop_containerd() { stop_pid "$C_PID"; C_PID=""; }

# wipe b|c: the daemon's root and state (unmounted first), logs kept.
wipe() { unmount_under "$T/$1"; rm -rf "${T:?}/$1/root" "${T:?}/$1/run" "${T:?}/$1/state" "${T:?}/$1/opt"; }

cleanup() {
  local rc=$? d
  set +e
  stop_berth
  stop_containerd
  unmount_under "$T"
  for d in "${made_dirs[@]}"; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
  if [[ $keep == 1 ]]; then echo "kept $T"; else rm -rf "$T"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SAMPLES=$T/samples
: >"$SAMPLES"
# sample METRIC IMPL VALUE
sample() { echo "$1 $2 $3" >>"$SAMPLES"; }
# mem IMPL PID SUFFIX: RSS and PSS (MiB) and threads of PID.
mem() {
  sample "rss_$3" "$1" "$(awk '/^VmRSS:/ {printf "%.2f", $2 / 1024}' "/proc/$2/status")"
  sample "pss_$3" "$1" "$(awk '/^Pss:/ {printf "%.2f", $2 / 1024}' "/proc/$2/smaps_rollup")"
  sample "threads_$3" "$1" "$(awk '/^Threads:/ {print $2}' "/proc/$2/status")"
}
# elapsed_ms T0 T1: milliseconds between two EPOCHREALTIME values.
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b - a) * 1000}'; }

# check_top IMPL: the top chain id is a committed snapshot.
check_top() {
  local out
  if [[ $1 == berth ]]; then out=$(bctl snapshots ls); else out=$(cctl snapshots ls); fi
  awk -v k="$TOP" '$1 == k && $3 == "Committed" {f = 1} END {exit !f}' <<<"$out" || {
    echo "bench.sh: $1: top snapshot $TOP not committed after import:" >&2
    echo "$out" >&2
    return 1
  }
}

# import_once IMPL: fresh daemon on an empty root, timed import, memory after
# idle, du of the root; the daemon is left running.
import_once() {
  local impl=$1 t0 t1 t2 root pid
  if [[ $impl == berth ]]; then
    stop_berth; wipe b; start_berth; root=$T/b/root; pid=$B_PID
  else
    stop_containerd; wipe c; start_containerd; root=$T/c/root; pid=$C_PID
  fi
  sync -f "$T"
  sleep 0.5
  t0=$EPOCHREALTIME
  if [[ $impl == berth ]]; then
    bctl images import "$ARCHIVE" >"$T/import.out" 2>&1 || { cat "$T/import.out" >&2; return 1; }
  else
    cctl images import "$ARCHIVE" >"$T/import.out" 2>&1 || { cat "$T/import.out" >&2; return 1; }
  fi
  t1=$EPOCHREALTIME
  sync -f "$root"
  t2=$EPOCHREALTIME
  sample import_s "$impl" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
  sample import_sync_s "$impl" "$(awk -v a="$t0" -v b="$t2" 'BEGIN {printf "%.3f", b - a}')"
  check_top "$impl"
  sleep "$idle"
  mem "$impl" "$pid" import
  sample du_mib "$impl" "$(du -sxm "$root" | cut -f1)"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E '^(layers|archive_bytes|uncompressed_bytes)' "$ARCHIVE.meta" | tr '\n' ' '
echo "($ARCHIVE)"
echo "berth: $MANAGER, $BERTHCTL; containerd: $($CONTAINERD --version | cut -d' ' -f3)"
cat "$ARCHIVE" >/dev/null   # both read it from the page cache

# ------------------------------------------------------------------ import
for ((r = 0; r < runs; r++)); do
  if ((r % 2 == 0)); then order=(berth containerd); else order=(containerd berth); fi
  for impl in "${order[@]}"; do
    import_once "$impl"
    # Only the daemon being measured runs during an import.
    if [[ $impl == berth ]]; then stop_berth; else stop_containerd; fi
  done
  printf 'import %d/%d: berth %ss, containerd %ss\n' $((r + 1)) "$runs" \
    "$(awk '$1 == "import_s" && $2 == "berth" {v = $3} END {print v}' "$SAMPLES")" \
    "$(awk '$1 == "import_s" && $2 == "containerd" {v = $3} END {print v}' "$SAMPLES")"
done

# ------------------------------------------- idle after restart, prepare/rm
start_berth
start_containerd
sleep "$idle"
mem berth "$B_PID" restart
mem containerd "$C_PID" restart
check_top berth
check_top containerd

for ((i = 0; i < prepares; i++)); do
  if ((i % 2 == 0)); then order=(berth containerd); else order=(containerd berth); fi
  for impl in "${order[@]}"; do
    key=bench-prep-$i
    if [[ $impl == berth ]]; then
      t0=$EPOCHREALTIME; bctl snapshots prepare "$key" "$TOP" >/dev/null
      t1=$EPOCHREALTIME; bctl snapshots rm "$key"
      t2=$EPOCHREALTIME; bctl namespaces ls >/dev/null
      t3=$EPOCHREALTIME
    else
      t0=$EPOCHREALTIME; cctl snapshots prepare "$key" "$TOP" >/dev/null
      t1=$EPOCHREALTIME; cctl snapshots rm "$key"
      t2=$EPOCHREALTIME; cctl namespaces ls >/dev/null
      t3=$EPOCHREALTIME
    fi
    sample prepare_ms "$impl" "$(elapsed_ms "$t0" "$t1")"
    sample rm_ms "$impl" "$(elapsed_ms "$t1" "$t2")"
    sample ns_ls_ms "$impl" "$(elapsed_ms "$t2" "$t3")"
  done
done
mem berth "$B_PID" after_prepare
mem containerd "$C_PID" after_prepare

stop_berth
stop_containerd
echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$SAMPLES" <<'PY'
import collections, statistics, sys
s = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m, impl, v = line.split()
    s[(m, impl)].append(float(v))
rows = [
    ("import_s", "import (s)"),
    ("import_sync_s", "import + sync (s)"),
    ("du_mib", "root on disk, du -sx (MiB)"),
    ("rss_import", "RSS after import + idle (MiB)"),
    ("pss_import", "PSS after import + idle (MiB)"),
    ("threads_import", "threads after import + idle"),
    ("rss_restart", "RSS idle, restarted, image in (MiB)"),
    ("pss_restart", "PSS idle, restarted, image in (MiB)"),
    ("threads_restart", "threads idle, restarted"),
    ("prepare_ms", "snapshots prepare (ms)"),
    ("rm_ms", "snapshots rm (ms)"),
    ("ns_ls_ms", "namespaces ls, client floor (ms)"),
    ("rss_after_prepare", "RSS after the prepares (MiB)"),
    ("pss_after_prepare", "PSS after the prepares (MiB)"),
]
print()
print("%-38s %5s %12s %12s %8s" % ("median of", "n", "berth", "containerd", "ratio"))
for key, label in rows:
    b, c = s.get((key, "berth")), s.get((key, "containerd"))
    if not b or not c:
        continue
    mb, mc = statistics.median(b), statistics.median(c)
    ratio = "%.2fx" % (mb / mc) if mc else "-"
    fmt = "%12.0f" if key.startswith("threads") else "%12.3f" if key.endswith("_s") else "%12.2f"
    print("%-38s %5d " % (label, len(b)) + fmt % mb + " " + fmt % mc + " %8s" % ratio)
for key in ("import_s", "prepare_ms"):
    b, c = s[(key, "berth")], s[(key, "containerd")]
    print("%s samples: berth min %.3f max %.3f; containerd min %.3f max %.3f"
          % (key, min(b), max(b), min(c), max(c)))
PY
