# shellcheck shell=bash disable=SC2034  # (variables are used by the tests)
# Helpers shared by integration-tests/runtime/test_*.sh (sourced after
# ../lib.sh; not a test itself: only test_*.sh files are registered).

# A short per-run tag (from $T) so ids, netns names and markers are unique.
TAG=$(tr '[:upper:]' '[:lower:]' <<<"${T##*.}")

# new_id NAME: a container id unique to this run.
new_id() { echo "$1-$TAG"; }

# A number unique to this run, usable as a probe `sleep` argument so that
# `pgrep -f` can find (leftover) container processes: probe sleep 30.<MARK_NUM>.
MARK_NUM=$$$RANDOM

# host_ns NAME: inode of the test shell's namespace NAME (net, pid, ...).
host_ns() { stat -L -c %i "/proc/$$/ns/$1"; }

# new_bundle DIR [PROBE-ARGS...]: make_bundle + process.args = probe ARGS.
new_bundle() {
  local dir=$1
  shift
  make_bundle "$dir"
  (($# == 0)) || set_args "$dir" probe "$@"
}

# cgroup_dirs ID: cgroup directories named ID in any hierarchy (v1 and v2),
# at any depth up to 6 (the runtime may nest under its own cgroup).
cgroup_dirs() {
  find /sys/fs/cgroup -mindepth 2 -maxdepth 7 -type d -name "$1" 2>/dev/null
}

# nothing_left ID [PGREP-PATTERN]: lib's assert_nothing_left, plus no cgroup
# dir named ID at any depth and no process matching PGREP-PATTERN.
nothing_left() {
  assert_nothing_left "$1"
  local c
  c=$(cgroup_dirs "$1")
  [[ -z $c ]] || fail "cgroup dirs of $1 left behind: $c"
  if [[ -n ${2:-} ]]; then
    # Give an asynchronous kill a moment before calling it a leak.
    wait_for "! pgrep -f -- '$2' >/dev/null" 2 ||
      fail "processes matching '$2' left behind: $(pgrep -a -f -- "$2" | head -3)"
  fi
  return 0
}

# one_error_line FILE WHAT NEEDLE...: FILE (captured stderr) has exactly one
# non-empty line, and it contains every NEEDLE.
one_error_line() {
  local file=$1 what=$2 n
  shift 2
  n=$(grep -c . "$file")
  [[ $n -eq 1 ]] || fail "$what: expected exactly one error line on stderr, got $n: $(head -c 600 "$file")"
  local needle
  for needle in "$@"; do
    assert_contains "$(cat "$file")" "$needle" "$what: stderr"
  done
}

# is_runc: the runtime under test is runc (used only where runc 1.1 is known
# to differ from what Berth is required to do; each use says why).
is_runc() { [[ $(basename "$RUNTIME") == runc* ]]; }

# rt_run_probe ID BUNDLE [RUN-OPTS...]: `run` in the foreground; stdout in
# $OUT, stderr in $T/err, exit code in $RC.
rt_run_probe() {
  local id=$1 bundle=$2
  shift 2
  OUT=$(rt run "$@" --bundle "$bundle" "$id" </dev/null 2>"$T/err")
  RC=$?
}
