#!/usr/bin/env bash
# bench/runtime/bench.sh [--runs N] [--warmup N] [--settle MS] [--json FILE] [--keep-tmp]
#
# Side-by-side timing of berth-runtime, runc and crun on the same busybox
# bundle (process.args = ["true"]), in one run with the runtimes interleaved
# per iteration so they share the machine's noise. Per runtime it times:
#   run+delete  `run ID` then `delete --force ID`, as one unit (runc and crun
#               already remove the container when a foreground run ends; the
#               delete is what a manager issues afterwards either way)
#   create      `create --bundle B ID` (stdio to files, no terminal)
#   start       `start ID`
#   delete      `delete ID` once the container is stopped (waiting for
#               "stopped" is not timed)
# and prints median and p90 in ms, plus the ratios berth-runtime/runc and
# berth-runtime/crun of the medians.
#
# --settle MS sleeps MS milliseconds (untimed) before each timed command. The
# kernel tears namespaces down asynchronously (netns cleanup, RCU callbacks);
# with no settle time that work from one runtime's container lands in the
# next runtime's measurement. 0 (default) measures back-to-back throughput
# under that shared noise; e.g. 100 measures each command on a quiet machine.
#
# Environment (each slot is a command, looked up in PATH if not a path):
#   BERTH_RUNTIME  default $BERTH_BIN/berth-runtime ($BERTH_BIN: <repo>/build/bin)
#   RUNC           default runc
#   CRUN           default crun
#   CRUN_WRAP      auto (default) | always | never. crun 1.8.1 refuses hybrid
#                  cgroup hierarchies ("cgroups in hybrid mode not supported");
#                  with auto, if a plain `crun run` fails, crun is run through a
#                  generated wrapper that, in a private mount namespace
#                  (unshare -m), bind-mounts an empty file over
#                  /sys/fs/cgroup/unified/cgroup.controllers, so crun sees v1.
#                  The wrapper's own cost is measured and printed.
#   BUNDLE_SCRIPT  default <repo>/scripts/make-busybox-bundle.sh
# Set e.g. BERTH_RUNTIME=runc to validate the harness before berth-runtime
# exists. A runtime that is missing or cannot run the bundle is reported as
# "not running" with the reason, and the others are still measured.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$REPO/build/bin}
BERTH_RUNTIME=${BERTH_RUNTIME:-$BERTH_BIN/berth-runtime}
RUNC=${RUNC:-runc}
CRUN=${CRUN:-crun}
CRUN_WRAP=${CRUN_WRAP:-auto}
BUNDLE_SCRIPT=${BUNDLE_SCRIPT:-$REPO/scripts/make-busybox-bundle.sh}

runs=30 warmup=2 json="" keep=0 settle=0
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=${2:?--runs N}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --warmup) warmup=${2:?--warmup N}; shift 2 ;;
    --warmup=*) warmup=${1#*=}; shift ;;
    --settle) settle=${2:?--settle MS}; shift 2 ;;
    --settle=*) settle=${1#*=}; shift ;;
    --json) json=${2:?--json FILE}; shift 2 ;;
    --json=*) json=${1#*=}; shift ;;
    --keep-tmp) keep=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive integer" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "bench.sh: --warmup must be an integer" >&2; exit 2; }
[[ $settle =~ ^[0-9]+$ ]] || { echo "bench.sh: --settle must be an integer (ms)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench.sh: must run as root (containers need namespaces/cgroups)" >&2; exit 1; }
for c in python3 jq unshare; do
  command -v "$c" >/dev/null || { echo "bench.sh: needs $c" >&2; exit 1; }
done
[[ -x $BUNDLE_SCRIPT ]] || { echo "bench.sh: bundle script $BUNDLE_SCRIPT not found" >&2; exit 1; }

TMP=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
  # The harness deletes its containers; this is the safety net for an abort.
  local slot d
  for slot in "$TMP"/slots/*; do
    [[ -f $slot/cmd ]] || continue
    for d in "$slot"/root/*/; do
      [[ -d $d ]] && "$(cat "$slot/cmd")" --root "$slot/root" delete --force "$(basename "$d")" >/dev/null 2>&1
    done
  done
  if awk -v t="$TMP/" 'index($5, t) == 1 {f=1} END {exit !f}' /proc/self/mountinfo; then
    awk -v t="$TMP/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  fi
  if [[ $keep == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

"$BUNDLE_SCRIPT" "$TMP/bundle" >/dev/null
jq '.process.args = ["true"] | .process.terminal = false' "$TMP/bundle/config.json" >"$TMP/config.json"
mv "$TMP/config.json" "$TMP/bundle/config.json"

# The crun wrapper (used only if needed, see CRUN_WRAP). mount -n: no
# /run/mount/utab bookkeeping; unshare -m makes the bind mount private to
# this one invocation (and to the container it creates).
: >"$TMP/empty-controllers"
crun_path=$(command -v "$CRUN" || true)
cat >"$TMP/crun-wrap" <<EOF
#!/bin/sh
# generated by bench/runtime/bench.sh: crun with cgroup v2 hidden (hybrid host)
exec unshare -m sh -c 'mount -n --bind "$TMP/empty-controllers" /sys/fs/cgroup/unified/cgroup.controllers && exec "\$0" "\$@"' "${crun_path:-crun}" "\$@"
EOF
chmod 755 "$TMP/crun-wrap"

export BENCH_TMP=$TMP BENCH_RUNS=$runs BENCH_WARMUP=$warmup BENCH_JSON=$json BENCH_SETTLE_MS=$settle
export BENCH_BERTH=$BERTH_RUNTIME BENCH_RUNC=$RUNC BENCH_CRUN=$CRUN BENCH_CRUN_WRAP=$CRUN_WRAP
python3 - <<'PY'
import json, os, random, shutil, statistics, subprocess, sys, time

TMP = os.environ["BENCH_TMP"]
RUNS = int(os.environ["BENCH_RUNS"])
WARMUP = int(os.environ["BENCH_WARMUP"])
JSON_OUT = os.environ["BENCH_JSON"]
SETTLE = int(os.environ["BENCH_SETTLE_MS"]) / 1000.0
BUNDLE = os.path.join(TMP, "bundle")
TAG = os.path.basename(TMP).split(".")[-1]
PHASES = ["run+delete", "create", "start", "delete"]
DEVNULL = subprocess.DEVNULL


def resolve(cmd):
    if "/" in cmd:
        return os.path.abspath(cmd) if os.access(cmd, os.X_OK) else None
    return shutil.which(cmd)


class Slot:
    def __init__(self, name, cmd):
        self.name, self.cmd = name, cmd
        self.argv = None          # the command actually run (maybe the wrapper)
        self.note = ""
        self.error = None         # why it is not running
        self.samples = {p: [] for p in PHASES}
        self.dir = os.path.join(TMP, "slots", name)
        self.root = os.path.join(self.dir, "root")
        os.makedirs(self.root, exist_ok=True)
        self.log = os.path.join(self.dir, "stderr")

    def call(self, *args, check=True):
        with open(self.log, "w") as err:
            p = subprocess.run(self.argv + ["--root", self.root] + list(args),
                               stdin=DEVNULL, stdout=err, stderr=err)
        if check and p.returncode != 0:
            raise RuntimeError("%s %s: exit %d: %s" % (
                os.path.basename(self.argv[0]), " ".join(args), p.returncode, self.stderr()))
        return p.returncode

    def timed(self, *args):
        err = open(self.log, "w")
        argv = self.argv + ["--root", self.root] + list(args)
        if SETTLE:
            time.sleep(SETTLE)
        t0 = time.perf_counter_ns()
        p = subprocess.run(argv, stdin=DEVNULL, stdout=err, stderr=err)
        t1 = time.perf_counter_ns()
        err.close()
        if p.returncode != 0:
            raise RuntimeError("%s %s: exit %d: %s" % (
                os.path.basename(self.argv[0]), " ".join(args), p.returncode, self.stderr()))
        return (t1 - t0) / 1e6

    def stderr(self):
        try:
            with open(self.log) as f:
                return f.read().strip()[-400:]
        except OSError:
            return ""

    def status(self, cid):
        with open(self.log, "w") as err:
            p = subprocess.run(self.argv + ["--root", self.root, "state", cid],
                               stdin=DEVNULL, stdout=subprocess.PIPE, stderr=err)
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout).get("status")
        except ValueError:
            return "?"

    def wait_stopped(self, cid, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.status(cid)
            if s == "stopped":
                return
            if s is None:
                raise RuntimeError("state %s failed: %s" % (cid, self.stderr()))
            time.sleep(0.002)
        raise RuntimeError("container %s not stopped after %.0fs" % (cid, timeout))

    # One measured iteration; returns {phase: ms}.
    def iteration(self, i):
        out = {}
        cid = "bb%s-%s-%d-r" % (TAG, self.name, i)
        t = self.timed("run", "--bundle", BUNDLE, cid)
        t += self.timed("delete", "--force", cid)
        if self.status(cid) is not None:
            raise RuntimeError("container %s still exists after run + delete --force" % cid)
        out["run+delete"] = t
        cid = "bb%s-%s-%d-c" % (TAG, self.name, i)
        out["create"] = self.timed("create", "--bundle", BUNDLE, cid)
        out["start"] = self.timed("start", cid)
        self.wait_stopped(cid)
        out["delete"] = self.timed("delete", cid)
        if self.status(cid) is not None:
            raise RuntimeError("container %s still exists after delete" % cid)
        return out

    def probe(self):
        """Can this command run the bundle? Sets self.argv or self.error."""
        try:
            self.call("run", "--bundle", BUNDLE, "bb%s-%s-probe" % (TAG, self.name))
            self.call("delete", "--force", "bb%s-%s-probe" % (TAG, self.name), check=False)
            return True
        except RuntimeError as e:
            self.probe_stderr = self.stderr().splitlines()[-1:] or [""]
            self.call("delete", "--force", "bb%s-%s-probe" % (TAG, self.name), check=False)
            self.error = str(e)
            return False

    def cleanup(self):
        if not self.argv or not os.path.isdir(self.root):
            return
        for cid in os.listdir(self.root):
            self.call("delete", "--force", cid, check=False)


def setup(name, cmd, wrap_mode="never"):
    s = Slot(name, cmd)
    path = resolve(cmd)
    with open(os.path.join(s.dir, "cmd"), "w") as f:
        f.write(path or cmd)
    if path is None:
        s.error = "not found: %s" % cmd
        return s
    s.cmd = path
    if wrap_mode != "always":
        s.argv = [path]
        if s.probe():
            return s
    if wrap_mode in ("auto", "always"):
        plain_error = s.error
        plain_msg = getattr(s, "probe_stderr", [""])[0]
        s.argv, s.error = [os.path.join(TMP, "crun-wrap")], None
        with open(os.path.join(s.dir, "cmd"), "w") as f:
            f.write(s.argv[0])
        if s.probe():
            s.note = "via unshare -m wrapper (cgroup.controllers hidden)"
            if plain_error:
                s.note += "; plain crun: " + plain_msg[:120]
            return s
        if plain_error:
            s.error = "plain: %s; wrapped: %s" % (plain_error, s.error)
    s.argv = None if s.error else s.argv
    return s


slots = [
    setup("berth-runtime", os.environ["BENCH_BERTH"]),
    setup("runc", os.environ["BENCH_RUNC"]),
    setup("crun", os.environ["BENCH_CRUN"], os.environ["BENCH_CRUN_WRAP"]),
]
active = [s for s in slots if s.error is None]

print("berth runtime bench: busybox bundle, process `true`, %d runs (+%d warm-up), "
      "runtimes interleaved per iteration" % (RUNS, WARMUP))
for s in slots:
    if s.error is None:
        print("  %-14s %s%s" % (s.name, " ".join(s.argv), ("  [" + s.note + "]") if s.note else ""))
    else:
        print("  %-14s NOT RUNNING: %s" % (s.name, s.error.replace("\n", " ")[:300]))
if not active:
    print("no runtime could run the bundle", file=sys.stderr)
    sys.exit(1)
sys.stdout.flush()

# Wrapper overhead: the wrapper's cost per invocation, to read crun's numbers.
wrap_overhead = None
crun = slots[2]
if crun.error is None and crun.argv[0].endswith("crun-wrap"):
    def t_version(argv, n=max(10, min(RUNS, 30))):
        ts = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            subprocess.run(argv + ["--version"], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
            ts.append((time.perf_counter_ns() - t0) / 1e6)
        return statistics.median(ts)
    wrap_overhead = t_version(crun.argv) - t_version([crun.cmd])

failed = False
try:
    for i in range(-WARMUP, RUNS):
        order = active[:]
        # Rotate the order each iteration so no runtime is always first.
        k = (i % len(order)) if order else 0
        order = order[k:] + order[:k]
        for s in order:
            if s.error is not None:
                continue
            try:
                r = s.iteration(i + WARMUP)
            except RuntimeError as e:
                s.error = "failed in iteration %d: %s" % (i, e)
                print("  %s %s" % (s.name, s.error), file=sys.stderr)
                failed = True
                s.cleanup()
                continue
            if i >= 0:
                for p in PHASES:
                    s.samples[p].append(r[p])
        print("." if i >= 0 else "w", end="", flush=True)
    print()
finally:
    for s in slots:
        s.cleanup()


def pct(xs, q):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stat(s, p):
    xs = s.samples[p]
    if s.error is not None or len(xs) < RUNS or not xs:
        return None
    return (statistics.median(xs), pct(xs, 0.9))


rows = PHASES + ["create+start+delete"]
for s in slots:
    if s.error is None:
        s.samples["create+start+delete"] = [a + b + c for a, b, c in
                                            zip(s.samples["create"], s.samples["start"], s.samples["delete"])]
    else:
        s.samples["create+start+delete"] = []

print()
hdr = "%-20s" % "phase (ms)"
for s in slots:
    hdr += " | %-17s" % s.name
hdr += " | %-11s | %-11s" % ("berth/runc", "berth/crun")
print(hdr)
sub = "%-20s" % ""
for s in slots:
    sub += " | %8s %8s" % ("median", "p90")
sub += " | %11s | %11s" % ("median", "median")
print(sub)
print("-" * len(hdr))
berth, runc = slots[0], slots[1]
for p in rows:
    line = "%-20s" % p
    for s in slots:
        st = stat(s, p)
        line += " | %8s %8s" % (("%.2f" % st[0], "%.2f" % st[1]) if st else ("n/a", "n/a"))
    b = stat(berth, p)
    for other in (runc, crun):
        o = stat(other, p)
        line += " | %11s" % (("%.2fx" % (b[0] / o[0])) if (b and o and o[0] > 0) else "n/a")
    print(line)
print()
if wrap_overhead is not None:
    print("note: crun runs through the unshare/bind-mount wrapper; its own cost is "
          "~%.2f ms per invocation (median of `wrapper --version` minus `crun --version`), "
          "included above in every crun phase (run+delete pays it twice)." % wrap_overhead)
for s in slots:
    if s.error is not None:
        print("note: %s not measured: %s" % (s.name, s.error.replace("\n", " ")[:300]))
print("ratios < 1.00x mean berth-runtime is faster. Host: %s, %d CPUs." % (
    os.uname().release, os.cpu_count() or 0))

if JSON_OUT:
    with open(JSON_OUT, "w") as f:
        json.dump({
            "runs": RUNS, "warmup": WARMUP, "bundle_args": ["true"],
            "crun_wrapper_overhead_ms": wrap_overhead,
            "runtimes": {s.name: {
                "argv": s.argv, "note": s.note, "error": s.error,
                "samples_ms": {p: s.samples[p] for p in rows},
                "median_ms": {p: (stat(s, p) or (None,))[0] for p in rows},
                "p90_ms": {p: (stat(s, p) or (None, None))[1] for p in rows},
            } for s in slots},
        }, f, indent=1)
    print("raw samples written to %s" % JSON_OUT)
sys.exit(1 if failed else 0)
PY
