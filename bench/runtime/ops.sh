#!/usr/bin/env bash
# bench/runtime/ops.sh [--runs N]
#
# The runtime verbs a daemon calls on a live container, side by side with
# runc in one run (runtimes interleaved per iteration):
#   exec     `exec ID true` (foreground: join namespaces + cgroup, run, wait)
#   update   `update --pids-limit N ID`
#   peak RSS of the runtime process during `create` (ru_maxrss via busybox
#            time; its own floor, `busybox time busybox true`, is printed too)
#   idle     memory charged to an idle container's cgroup (memory.usage_in_bytes
#            or memory.current) with `sleep` as its process
# Environment: BERTH_RUNTIME (default <repo>/build/bin/berth-runtime), RUNC.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_RUNTIME=${BERTH_RUNTIME:-$REPO/build/bin/berth-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
runs=30
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=${2:?--runs N}; shift 2 ;;
    *) echo "ops.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "ops.sh: must run as root" >&2; exit 1; }
TMP=$(mktemp -d /tmp/berth-ops.XXXXXX)
cleanup() {
  for r in "$BERTH_RUNTIME" "$RUNC"; do
    [[ -n $r ]] || continue
    for d in "$TMP"/root-*/*/; do [[ -d $d ]] && "$r" --root "${d%/*/}" delete --force "$(basename "$d")" >/dev/null 2>&1; done
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
"$REPO/scripts/make-busybox-bundle.sh" "$TMP/bundle" >/dev/null
jq '.process.args = ["sleep", "1000"]' "$TMP/bundle/config.json" >"$TMP/c" && mv "$TMP/c" "$TMP/bundle/config.json"

BENCH_TMP=$TMP BENCH_RUNS=$runs python3 - "$BERTH_RUNTIME" "$RUNC" <<'PY'
import os, statistics, subprocess, sys, time
TMP, RUNS = os.environ["BENCH_TMP"], int(os.environ["BENCH_RUNS"])
BUNDLE = os.path.join(TMP, "bundle")
slots = [("berth-runtime", sys.argv[1]), ("runc", sys.argv[2])]
slots = [(n, c) for n, c in slots if c]

def run(cmd, root, *args, check=True):
    p = subprocess.run([cmd, "--root", root] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise SystemExit("%s %s: %s" % (cmd, " ".join(args), p.stderr.decode()))
    return p

def timed(cmd, root, *args):
    t0 = time.perf_counter_ns(); run(cmd, root, *args); return (time.perf_counter_ns() - t0) / 1e6

def create_rss(cmd, root, cid):
    # busybox time forks a small static busybox, not this Python: the child's
    # ru_maxrss is then the runtime's own peak (Python's fork would count
    # Python's 15 MB, recorded as the old mm's high-water mark at exec).
    out = os.path.join(TMP, "rss")
    p = subprocess.run(["busybox", "time", "-f", "%M", "-o", out, cmd, "--root", root, "create",
                        "--bundle", BUNDLE, cid], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.returncode != 0: raise SystemExit("%s create failed" % cmd)
    return int(open(out).read().split()[-1])  # KiB

def idle_kib(pid):
    for line in open("/proc/%d/cgroup" % pid):
        _, ctrl, path = line.strip().split(":", 2)
        if ctrl == "memory":
            return int(open("/sys/fs/cgroup/memory%s/memory.usage_in_bytes" % path).read()) // 1024
        if ctrl == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            return int(open("/sys/fs/cgroup%s/memory.current" % path).read()) // 1024
    return -1

res = {n: {"exec": [], "update": [], "rss": [], "idle": []} for n, _ in slots}
for i in range(RUNS + 2):
    for name, cmd in slots:
        root = os.path.join(TMP, "root-" + name)
        cid = "ops-%s-%d" % (name, i)
        rss = create_rss(cmd, root, cid)
        run(cmd, root, "start", cid)
        pid = int(__import__("json").loads(run(cmd, root, "state", cid).stdout)["pid"])
        time.sleep(0.05)
        idle = idle_kib(pid)
        ex = timed(cmd, root, "exec", cid, "true")
        up = timed(cmd, root, "update", "--pids-limit", str(100 + i), cid)
        run(cmd, root, "delete", "--force", cid)
        if i >= 2:  # warm-up
            r = res[name]; r["exec"].append(ex); r["update"].append(up); r["rss"].append(rss); r["idle"].append(idle)
subprocess.run(["busybox", "time", "-f", "%M", "-o", os.path.join(TMP, "rss"), "busybox", "true"])
floor = int(open(os.path.join(TMP, "rss")).read().split()[-1])
print("runtime ops bench: %d runs, busybox `sleep` container, runtimes interleaved" % RUNS)
print("(peak RSS floor of the measuring method, busybox true: %d KiB)" % floor)
print("%-14s %12s %12s %16s %14s" % ("runtime", "exec ms", "update ms", "create peak RSS", "idle cgroup"))
med = {}
for name, _ in slots:
    r = res[name]
    med[name] = {k: statistics.median(v) for k, v in r.items()}
    m = med[name]
    print("%-14s %12.2f %12.2f %13d KiB %10d KiB" % (name, m["exec"], m["update"], m["rss"], m["idle"]))
if len(slots) == 2:
    a, b = med["berth-runtime"], med["runc"]
    print("ratio berth/runc: exec %.2fx, update %.2fx, create peak RSS %.2fx, idle cgroup %.2fx" % (
        a["exec"] / b["exec"], a["update"] / b["update"], a["rss"] / b["rss"], a["idle"] / max(b["idle"], 1)))
PY
