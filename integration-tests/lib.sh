#!/usr/bin/env bash
# Shared helpers for Berth's integration tests (bash). Each test file sources
# this, gets a private temp dir in $T that is removed on exit, and reports:
#   exit 0  = pass, exit 1 = fail (with one line saying what differed),
#   exit 77 = skip (ctest SKIP_RETURN_CODE), always with a printed reason.
#
# Environment:
#   BERTH_BIN   directory with the built executables (default: <repo>/build/bin)
#   RUNTIME     runtime under test (default: $BERTH_BIN/berth-runtime); set
#               RUNTIME=runc to check that a test describes runc's behaviour.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH_BIN=${BERTH_BIN:-$REPO/build/bin}
RUNTIME=${RUNTIME:-$BERTH_BIN/berth-runtime}
PROBE=${PROBE:-$BERTH_BIN/probe}

T=$(mktemp -d /tmp/berth-test.XXXXXX)
ROOT=$T/state            # --root of the runtime under test
mkdir -p "$ROOT"
_cleanups=()

# on_exit CMD...: run CMD at exit (last registered first).
on_exit() { _cleanups+=("$*"); }

# proc_start PID: the process's start time (clock ticks after boot), empty
# when there is no such process.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  awk '{print $20}' <<<"$stat"
}

# kill_at_exit PID [SIGNAL]: at exit, signals PID (default TERM) only if it
# is still the same process. A pid that has ended can be another test's
# process by then: pid_max is 32768 here and the tests fork a lot.
kill_at_exit() {
  local start
  start=$(proc_start "$1")
  [[ -n $start ]] || return 0
  on_exit "[[ \$(proc_start $1) == $start ]] && kill -${2:-TERM} $1"
}

_run_cleanups() {
  local i
  for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" >/dev/null 2>&1 || true; done
  # Any container this test left is force-deleted, then the temp dir goes.
  if [[ -d $ROOT ]]; then
    for d in "$ROOT"/*/; do
      [[ -d $d ]] && "$RUNTIME" --root "$ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
    done
  fi
  grep -q " $T" /proc/self/mountinfo 2>/dev/null && umount -R -l "$T"/* 2>/dev/null
  rm -rf "$T"
}
trap _run_cleanups EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "PASS: ${1:-$(basename "$0")}"; exit 0; }

need_root() { [[ $(id -u) -eq 0 ]] || skip "needs root (namespaces, mounts)"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1 (${2:-not installed})"; }

assert_eq() { # assert_eq EXPECTED ACTUAL WHAT
  [[ "$1" == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}
assert_contains() { # assert_contains HAYSTACK NEEDLE WHAT
  [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2': $1"
}
assert_not_contains() {
  [[ "$1" != *"$2"* ]] || fail "${3:-output} contains '$2': $1"
}

# rt ARGS...: the runtime under test with this test's private --root.
rt() { "$RUNTIME" --root "$ROOT" "$@"; }

# make_bundle DIR: a busybox bundle with the probe at /bin/probe and a config
# equal to `runc spec` with terminal false (edit it with set_config).
make_bundle() {
  "$REPO/scripts/make-busybox-bundle.sh" "$1" --probe "$PROBE" >/dev/null ||
    fail "make-busybox-bundle.sh $1 failed"
}

# set_config DIR JQ-FILTER [jq args...]: edit DIR/config.json in place.
set_config() {
  local dir=$1 filter=$2
  shift 2
  jq "$filter" "$dir/config.json" "$@" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json" ||
    fail "jq filter '$filter' failed"
}

# set_args DIR ARG...: set process.args.
set_args() {
  local dir=$1
  shift
  set_config "$dir" '.process.args = $ARGS.positional' --args "$@"
}

# probe_value OUTPUT KEY: the value of the probe's "KEY=value" line.
probe_value() {
  local line
  while IFS= read -r line; do
    [[ $line == "$2="* ]] && { printf '%s\n' "${line#"$2="}"; return 0; }
  done <<<"$1"
  return 1
}

# wait_for COND-CMD [TIMEOUT_S]: poll until COND-CMD succeeds.
wait_for() {
  local i n=$(( ${2:-5} * 20 ))
  for ((i = 0; i < n; i++)); do eval "$1" && return 0; sleep 0.05; done
  return 1
}

# state_status ID: the "status" field of `state ID`.
state_status() { rt state "$1" 2>/dev/null | jq -r .status; }

# Nothing of container ID is left: no state dir, no mounts under $T, no
# process whose cgroup or cwd points at it.
assert_nothing_left() {
  local id=$1
  [[ ! -e $ROOT/$id ]] || fail "state dir $ROOT/$id left behind"
  ! grep -q " $T/" /proc/self/mountinfo || fail "mounts left under $T: $(grep " $T/" /proc/self/mountinfo | head -3)"
  local c
  for c in /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/*/*/"$id" /sys/fs/cgroup/unified/"$id"; do
    [[ -e $c ]] && fail "cgroup $c left behind"
  done
  return 0
}
